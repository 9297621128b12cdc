"""``herd report logdir/<run> [--serve] [--port P]``: a static web page of a run."""

from __future__ import annotations

import contextlib
from pathlib import Path

from herd.cli.args import ArgumentParser
from herd.errors import HerdInputError
from herd.option_range import Range, ranged


def _server(port: int, folder: Path):
    """An HTTP server of ``folder`` bound to 127.0.0.1:``port`` (the folder may be made later)."""
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as e:
        raise HerdInputError(f"--port {port}: 127.0.0.1:{port} is in use or not allowed ({e.strerror}); "
                             f"pick another --port") from None


def run(argv: list[str]) -> int:
    p = ArgumentParser(prog="herd report", description="Write <run>/report/index.html (offline, self-contained).")
    p.add_argument("run", type=Path, help="a training run folder, logdir/<seqname>-<logname>")
    p.add_argument("--serve", action="store_true", help="then serve the report on http://127.0.0.1:PORT/")
    p.add_argument("--port", type=ranged(int, Range(1, 65535)), default=8000)
    a = p.parse_args(argv)
    from herd.report.build import build_report

    httpd = _server(a.port, a.run / "report") if a.serve else None  # a port in use is found before the work
    index = build_report(a.run)
    print(f"wrote {index}")
    if httpd is not None:
        with httpd:
            print(f"serving http://127.0.0.1:{a.port}/ (Ctrl-C stops)")
            with contextlib.suppress(KeyboardInterrupt):
                httpd.serve_forever()
    return 0
