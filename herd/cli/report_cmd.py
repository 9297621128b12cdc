"""``herd report logdir/<run> [--serve] [--port P]``: a static web page of a run."""

from __future__ import annotations

from pathlib import Path

from herd.cli.args import ArgumentParser


def run(argv: list[str]) -> int:
    p = ArgumentParser(prog="herd report", description="Write <run>/report/index.html (offline, self-contained).")
    p.add_argument("run", type=Path, help="a training run folder, logdir/<seqname>-<logname>")
    p.add_argument("--serve", action="store_true", help="then serve the report on http://127.0.0.1:PORT/")
    p.add_argument("--port", type=int, default=8000)
    a = p.parse_args(argv)
    from herd.report.build import build_report

    index = build_report(a.run)
    print(f"wrote {index}")
    if a.serve:
        import functools
        import http.server

        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(index.parent))
        with http.server.ThreadingHTTPServer(("127.0.0.1", a.port), handler) as httpd:
            print(f"serving http://127.0.0.1:{a.port}/ (Ctrl-C stops)")
            try:
                httpd.serve_forever()
            except KeyboardInterrupt:
                pass
    return 0
