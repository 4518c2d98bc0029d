//! TLS under ZWS, for `wss://`: the `ZMQ_WSS_*` settings and the rustls configurations
//! they make. The TLS session itself is a rustls [`Connection`](rustls::Connection) that
//! [`WsStream`](super::WsStream) drives with the reactor's non-blocking reads and writes.

use crate::error::{Error, Result};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use std::sync::Arc;

/// What the `ZMQ_WSS_*` options hold: PEM text as the application gave it (checked when
/// set), and how a client decides whom to trust.
#[derive(Clone, Debug, Default)]
pub(crate) struct WssOptions {
    /// WSS_CERT_PEM: the server's certificate chain, leaf first.
    pub(crate) cert_pem: Vec<u8>,
    /// WSS_KEY_PEM: the server's private key.
    pub(crate) key_pem: Vec<u8>,
    /// WSS_TRUST_PEM: certificates a client trusts (authorities, or the server's own).
    pub(crate) trust_pem: Vec<u8>,
    /// WSS_HOSTNAME: the name a client expects in the server's certificate (and sends as
    /// SNI); empty means the endpoint's host.
    pub(crate) hostname: String,
    /// WSS_TRUST_SYSTEM: a client also trusts the usual public authorities.
    pub(crate) trust_system: bool,
}

/// Which end of a TLS session a ws connection is, with what it needs to start one.
#[derive(Clone, Debug)]
pub(crate) enum TlsRole {
    Server(Arc<rustls::ServerConfig>),
    Client(Arc<rustls::ClientConfig>, ServerName<'static>),
}

impl TlsRole {
    /// A fresh session for one connection.
    pub(crate) fn start(&self) -> std::io::Result<rustls::Connection> {
        let mut connection: rustls::Connection = match self {
            TlsRole::Server(config) => rustls::ServerConnection::new(config.clone())
                .map_err(std::io::Error::other)?
                .into(),
            TlsRole::Client(config, name) => {
                rustls::ClientConnection::new(config.clone(), name.clone())
                    .map_err(std::io::Error::other)?
                    .into()
            }
        };
        // What waits for the wire is bounded by the stream's own write chunks.
        connection.set_buffer_limit(None);
        Ok(connection)
    }
}

/// ring rather than aws-lc-rs: a far lighter C build. rustls marks it deprecated because
/// it lacks post-quantum key exchange, which libzmq's GnuTLS peers do not offer either.
#[allow(deprecated)]
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn certificates(pem: &[u8]) -> Option<Vec<CertificateDer<'static>>> {
    let certs: Vec<_> = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<_, _>>()
        .ok()?;
    (!certs.is_empty()).then_some(certs)
}

/// Checks PEM text given as WSS_CERT_PEM or WSS_TRUST_PEM: empty, or one certificate or more.
pub(crate) fn check_certificates(pem: &[u8]) -> Result<()> {
    if pem.is_empty() || certificates(pem).is_some() {
        return Ok(());
    }
    Err(Error::InvalidArgument(
        "not PEM text holding X.509 certificates",
    ))
}

/// Checks PEM text given as WSS_KEY_PEM: empty, or a private key.
pub(crate) fn check_key(pem: &[u8]) -> Result<()> {
    if pem.is_empty() || PrivateKeyDer::from_pem_slice(pem).is_ok() {
        return Ok(());
    }
    Err(Error::InvalidArgument("not PEM text holding a private key"))
}

impl WssOptions {
    /// The configuration of a `wss://` listener's sessions.
    pub(crate) fn server(&self) -> Result<TlsRole> {
        let missing = Error::InvalidArgument("a wss:// bind needs WSS_CERT_PEM and WSS_KEY_PEM");
        let certs = certificates(&self.cert_pem).ok_or(missing)?;
        let key = PrivateKeyDer::from_pem_slice(&self.key_pem).map_err(|_| {
            Error::InvalidArgument("a wss:// bind needs WSS_CERT_PEM and WSS_KEY_PEM")
        })?;
        let config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .and_then(|b| b.with_no_client_auth().with_single_cert(certs, key))
            .map_err(|_| {
                Error::InvalidArgument("WSS_CERT_PEM and WSS_KEY_PEM are not a usable pair")
            })?;
        Ok(TlsRole::Server(Arc::new(config)))
    }

    /// The configuration of a `wss://` connect to `host` (the endpoint's host, used when
    /// WSS_HOSTNAME is empty).
    pub(crate) fn client(&self, host: &str) -> Result<TlsRole> {
        let name = if self.hostname.is_empty() {
            host
        } else {
            &self.hostname
        };
        let name = ServerName::try_from(name.to_string())
            .map_err(|_| Error::InvalidArgument("the wss:// server name is not a host name"))?;
        let pinned = certificates(&self.trust_pem).unwrap_or_default();
        let mut roots = RootCertStore::empty();
        for cert in &pinned {
            // A certificate webpki cannot take as an authority may still be pinned.
            let _ = roots.add(cert.clone());
        }
        if self.trust_system {
            roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
        }
        let provider = provider();
        let webpki = rustls::client::WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots),
            provider.clone(),
        )
        .build()
        .ok();
        let verifier = Verifier {
            webpki,
            pinned,
            algorithms: provider.signature_verification_algorithms,
        };
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|_| Error::InvalidArgument("no TLS version to offer"))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        Ok(TlsRole::Client(Arc::new(config), name))
    }
}

/// Whom a client trusts: a certificate chain to a trusted authority valid for the server
/// name, as webpki checks it; or exactly a certificate of WSS_TRUST_PEM whose names (its
/// subject's common name when it has no subjectAltName) include the server name. The
/// second is how self-signed server certificates are trusted, as GnuTLS (libzmq's TLS)
/// trusts them.
#[derive(Debug)]
struct Verifier {
    webpki: Option<Arc<rustls::client::WebPkiServerVerifier>>,
    pinned: Vec<CertificateDer<'static>>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let unknown = rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer);
        let checked = match &self.webpki {
            Some(webpki) => webpki.verify_server_cert(
                end_entity,
                intermediates,
                server_name,
                ocsp_response,
                now,
            ),
            None => Err(unknown),
        };
        match checked {
            Ok(verified) => Ok(verified),
            Err(e)
                if self
                    .pinned
                    .iter()
                    .any(|p| p.as_ref() == end_entity.as_ref()) =>
            {
                // Pinned is not timeless: its dates hold as for a chain (GnuTLS, libzmq's
                // TLS, checks them for a trusted self-signed certificate too).
                within_validity(end_entity, now)?;
                if names_match(end_entity, server_name) {
                    Ok(ServerCertVerified::assertion())
                } else if matches!(
                    e,
                    rustls::Error::InvalidCertificate(CertificateError::NotValidForName)
                        | rustls::Error::InvalidCertificate(
                            CertificateError::NotValidForNameContext { .. }
                        )
                ) {
                    Err(e)
                } else {
                    Err(rustls::Error::InvalidCertificate(
                        CertificateError::NotValidForName,
                    ))
                }
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The certificate's notBefore..=notAfter holds `now`; an unreadable validity is refused.
fn within_validity(
    cert: &CertificateDer<'_>,
    now: UnixTime,
) -> std::result::Result<(), rustls::Error> {
    let Some((not_before, not_after)) = der::validity(cert.as_ref()) else {
        return Err(rustls::Error::InvalidCertificate(
            CertificateError::BadEncoding,
        ));
    };
    let now = i64::try_from(now.as_secs()).unwrap_or(i64::MAX);
    if now < not_before {
        Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidYet,
        ))
    } else if now > not_after {
        Err(rustls::Error::InvalidCertificate(CertificateError::Expired))
    } else {
        Ok(())
    }
}

/// Whether a certificate names `server_name`: in its subjectAltName, or, lacking one, as
/// its subject's common name (RFC 6125 §6.4.4).
fn names_match(cert: &CertificateDer<'_>, server_name: &ServerName<'_>) -> bool {
    if let Ok(parsed) = rustls::server::ParsedCertificate::try_from(cert) {
        if rustls::client::verify_server_name(&parsed, server_name).is_ok() {
            return true;
        }
    }
    match (
        server_name,
        der::common_name_without_alt_names(cert.as_ref()),
    ) {
        (ServerName::DnsName(name), Some(cn)) => cn.eq_ignore_ascii_case(name.as_ref()),
        _ => false,
    }
}

/// Just enough DER (X.690) to read a certificate's subject common name.
mod der {
    const SEQUENCE: u8 = 0x30;
    const EXTENSIONS: u8 = 0xa3;
    const VERSION: u8 = 0xa0;
    /// id-at-commonName, 2.5.4.3.
    const COMMON_NAME: &[u8] = &[0x55, 0x04, 0x03];
    /// id-ce-subjectAltName, 2.5.29.17.
    const SUBJECT_ALT_NAME: &[u8] = &[0x55, 0x1d, 0x11];

    /// One tag-length-value: the tag, the value and what follows.
    fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
        let (&tag, rest) = input.split_first()?;
        let (&first, rest) = rest.split_first()?;
        let (len, rest) = if first < 0x80 {
            (usize::from(first), rest)
        } else {
            let count = usize::from(first & 0x7f);
            if count == 0 || count > 4 || rest.len() < count {
                return None;
            }
            let len = rest[..count]
                .iter()
                .fold(0usize, |len, &b| (len << 8) | usize::from(b));
            (len, &rest[count..])
        };
        (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
    }

    /// The values inside a constructed value, in order.
    fn children(mut input: &[u8]) -> Option<Vec<(u8, &[u8])>> {
        let mut out = Vec::new();
        while !input.is_empty() {
            let (tag, value, rest) = tlv(input)?;
            out.push((tag, value));
            input = rest;
        }
        Some(out)
    }

    /// Positions in the to-be-signed certificate once its optional version is skipped:
    /// serialNumber, signature, issuer, validity, subject, ...
    const VALIDITY: usize = 3;
    const SUBJECT: usize = 4;

    /// The fields of the certificate's to-be-signed part, from serialNumber on.
    fn tbs_fields(cert: &[u8]) -> Option<Vec<(u8, &[u8])>> {
        let (SEQUENCE, cert, _) = tlv(cert)? else {
            return None;
        };
        let (SEQUENCE, tbs, _) = tlv(cert)? else {
            return None;
        };
        let mut fields = children(tbs)?;
        if fields.first()?.0 == VERSION {
            fields.remove(0);
        }
        Some(fields)
    }

    /// UTCTime and GeneralizedTime (RFC 5280 §4.1.2.5).
    const UTC_TIME: u8 = 0x17;
    const GENERALIZED_TIME: u8 = 0x18;

    /// The certificate's notBefore and notAfter, in seconds since 1970.
    pub(super) fn validity(cert: &[u8]) -> Option<(i64, i64)> {
        let fields = tbs_fields(cert)?;
        let (SEQUENCE, validity) = *fields.get(VALIDITY)? else {
            return None;
        };
        let times = children(validity)?;
        let [(before_tag, before), (after_tag, after)] = times.as_slice() else {
            return None;
        };
        Some((time(*before_tag, before)?, time(*after_tag, after)?))
    }

    /// A certificate time, `YYMMDDHHMMSSZ` (years 1950..2049) or `YYYYMMDDHHMMSSZ`.
    fn time(tag: u8, value: &[u8]) -> Option<i64> {
        let digits = |text: &[u8]| -> Option<i64> {
            text.iter().try_fold(0i64, |n, &b| {
                b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
            })
        };
        let (year, rest) = match (tag, value.len()) {
            (UTC_TIME, 13) => {
                let yy = digits(&value[..2])?;
                (if yy < 50 { 2000 + yy } else { 1900 + yy }, &value[2..])
            }
            (GENERALIZED_TIME, 15) => (digits(&value[..4])?, &value[4..]),
            _ => return None,
        };
        if rest[10] != b'Z' {
            return None;
        }
        let [month, day, hour, minute, second] =
            [0, 2, 4, 6, 8].map(|at| digits(&rest[at..at + 2]));
        let (month, day) = (month?, day?);
        if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
            return None;
        }
        let seconds = hour? * 3600 + minute? * 60 + second?;
        Some(days_since_1970(year, month, day) * 86_400 + seconds)
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (March-based years, so the leap
    /// day falls at the end of each).
    fn days_since_1970(year: i64, month: i64, day: i64) -> i64 {
        let year = if month <= 2 { year - 1 } else { year };
        let era = year.div_euclid(400);
        let year_of_era = year - era * 400;
        let month_from_march = (month + 9) % 12;
        let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    /// The subject's (last) common name, when the certificate has no subjectAltName.
    pub(super) fn common_name_without_alt_names(cert: &[u8]) -> Option<String> {
        let fields = tbs_fields(cert)?;
        let (SEQUENCE, subject) = *fields.get(SUBJECT)? else {
            return None;
        };
        if let Some(&(_, extensions)) = fields.iter().find(|(tag, _)| *tag == EXTENSIONS) {
            let (SEQUENCE, list, _) = tlv(extensions)? else {
                return None;
            };
            for (_, extension) in children(list)? {
                let (_, oid, _) = tlv(extension)?;
                if oid == SUBJECT_ALT_NAME {
                    return None;
                }
            }
        }
        let mut name = None;
        for (_, set) in children(subject)? {
            for (_, attribute) in children(set)? {
                let (_, oid, rest) = tlv(attribute)?;
                let (_, value, _) = tlv(rest)?;
                if oid == COMMON_NAME {
                    name = Some(String::from_utf8(value.to_vec()).ok()?);
                }
            }
        }
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed(names: Vec<String>, cn: &str) -> CertificateDer<'static> {
        let mut params = rcgen::CertificateParams::new(names).unwrap();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, cn);
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().der().clone()
    }

    fn dns(name: &str) -> ServerName<'static> {
        ServerName::try_from(name.to_string()).unwrap()
    }

    #[test]
    fn the_common_name_counts_only_without_alt_names() {
        let cn_only = self_signed(vec![], "zeromq.org");
        assert_eq!(
            der::common_name_without_alt_names(&cn_only).as_deref(),
            Some("zeromq.org")
        );
        assert!(names_match(&cn_only, &dns("ZeroMQ.org")));
        assert!(!names_match(&cn_only, &dns("example.org")));
        let with_san = self_signed(vec!["a.example".into()], "zeromq.org");
        assert_eq!(der::common_name_without_alt_names(&with_san), None);
        assert!(names_match(&with_san, &dns("a.example")));
        assert!(!names_match(&with_san, &dns("zeromq.org")));
    }

    #[test]
    fn a_pinned_certificate_is_trusted_only_within_its_dates() {
        let dated = |from: (i32, u8, u8), to: (i32, u8, u8)| {
            let mut params = rcgen::CertificateParams::new(vec!["a.example".into()]).unwrap();
            params.not_before = rcgen::date_time_ymd(from.0, from.1, from.2);
            params.not_after = rcgen::date_time_ymd(to.0, to.1, to.2);
            let key = rcgen::KeyPair::generate().unwrap();
            params.self_signed(&key).unwrap().der().clone()
        };
        // 2000-03-01 is day 11,017; 2049-12-31 is UTCTime's last; 2051 is GeneralizedTime.
        let expired = dated((1999, 1, 1), (2000, 3, 1));
        assert_eq!(der::validity(&expired).unwrap().1, 11_017 * 86_400);
        let at = |secs: u64| UnixTime::since_unix_epoch(std::time::Duration::from_secs(secs));
        assert!(within_validity(&expired, at(11_017 * 86_400)).is_ok());
        assert_eq!(
            within_validity(&expired, at(11_017 * 86_400 + 1)),
            Err(rustls::Error::InvalidCertificate(CertificateError::Expired))
        );
        let future = dated((2049, 12, 31), (2051, 1, 1));
        assert_eq!(
            within_validity(&future, at(1_000_000_000)),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidYet
            ))
        );
        assert!(within_validity(&future, at(2_556_144_000)).is_ok());
        let verifier = Verifier {
            webpki: None,
            pinned: vec![expired.clone()],
            algorithms: provider().signature_verification_algorithms,
        };
        assert_eq!(
            verifier
                .verify_server_cert(&expired, &[], &dns("a.example"), &[], UnixTime::now())
                .err(),
            Some(rustls::Error::InvalidCertificate(CertificateError::Expired))
        );
        for len in 0..expired.len() {
            let _ = der::validity(&expired[..len]);
        }
    }

    #[test]
    fn malformed_der_has_no_common_name() {
        let good = self_signed(vec![], "zeromq.org");
        for len in 0..good.len() {
            // Any cut either still parses to the name or gives none; never a panic.
            let _ = der::common_name_without_alt_names(&good[..len]);
        }
        assert_eq!(
            der::common_name_without_alt_names(&[0x30, 0x84, 0xff]),
            None
        );
    }

    #[test]
    fn pem_checks_accept_empty_and_refuse_garbage() {
        assert!(check_certificates(b"").is_ok());
        assert!(check_key(b"").is_ok());
        assert!(check_certificates(b"not pem").is_err());
        assert!(
            check_key(b"-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n").is_err()
        );
    }

    #[test]
    fn a_bind_without_certificate_and_key_is_refused() {
        assert!(WssOptions::default().server().is_err());
    }
}
