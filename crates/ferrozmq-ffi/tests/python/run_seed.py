"""Runs programs side by side and reports what they print, for tests/pyzmq.rs.

usage: run_seed.py SECONDS SHIM_DIR NAME=PROGRAM:LINES ...

Each program starts in the order given, with SHIM_DIR on PYTHONPATH and unbuffered output.
The run ends when every program has printed at least LINES lines on stdout (0: none
awaited) or after SECONDS; then every program still running is killed (the seed's
programs loop for ever). Each line any of them printed is reported as NAME<TAB>STREAM<TAB>
LINE, in the order it arrived.
"""
import os
import queue
import subprocess
import sys
import threading
import time


def main():
    seconds = float(sys.argv[1])
    shim = sys.argv[2]
    specs = []
    for arg in sys.argv[3:]:
        name, rest = arg.split("=", 1)
        program, lines = rest.rsplit(":", 1)
        specs.append((name, program, int(lines)))
    env = dict(os.environ, PYTHONPATH=shim, PYTHONUNBUFFERED="1", PYTHONIOENCODING="utf-8")
    lines = queue.Queue()
    processes = []
    for name, program, _ in specs:
        process = subprocess.Popen(
            [sys.executable, program],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        processes.append(process)
        for stream in ("stdout", "stderr"):
            pipe = getattr(process, stream)

            def pump(pipe=pipe, name=name, stream=stream):
                for line in pipe:
                    lines.put((name, stream, line.decode("utf-8", "replace").rstrip("\n")))

            threading.Thread(target=pump, daemon=True).start()
        time.sleep(0.2)
    printed = {name: 0 for name, _, _ in specs}
    deadline = time.time() + seconds
    report = []
    while time.time() < deadline:
        if all(printed[name] >= want for name, _, want in specs):
            break
        try:
            name, stream, line = lines.get(timeout=0.1)
        except queue.Empty:
            continue
        report.append((name, stream, line))
        if stream == "stdout":
            printed[name] += 1
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
    time.sleep(0.1)
    while not lines.empty():
        report.append(lines.get())
    for name, stream, line in report:
        print(f"{name}\t{stream}\t{line}", flush=True)


main()
