"""``herd report logdir/<run> [--serve] [--port P]``: a static web page of a run."""

from __future__ import annotations

import contextlib
import dataclasses
from pathlib import Path
from typing import ClassVar

from herd.errors import HerdInputError
from herd.option_range import Range
from herd.run.flags import parse_flags


def _server(port: int, folder: Path):
    """An HTTP server of ``folder`` bound to 127.0.0.1:``port`` (the folder may be made later)."""
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as e:
        raise HerdInputError(
            f"--port {port}: 127.0.0.1:{port} is in use or not allowed ({e.strerror}); pick another --port"
        ) from None


@dataclasses.dataclass
class ReportOptions:
    """Write RUN/report/index.html (offline, self-contained) for a training run folder, logdir/<seqname>-<logname>.

    Attributes:
        serve: then serve the report on http://127.0.0.1:PORT/.
        port: the port --serve listens on.
    """

    serve: bool = False
    port: int = 8000

    RANGES: ClassVar[dict[str, Range]] = {"port": Range(1, 65535)}


def run(argv: list[str]) -> int:
    a, runs = parse_flags(argv, ReportOptions, prog="herd report", positional="RUN")
    if len(runs) != 1:
        raise HerdInputError("give one training run folder: herd report logdir/<seqname>-<logname>")
    run_dir = Path(runs[0])
    from herd.report.build import build_report

    httpd = _server(a.port, run_dir / "report") if a.serve else None  # a port in use is found before the work
    index = build_report(run_dir)
    print(f"wrote {index}")
    if httpd is not None:
        with httpd:
            print(f"serving http://127.0.0.1:{a.port}/ (Ctrl-C stops)")
            with contextlib.suppress(KeyboardInterrupt):
                httpd.serve_forever()
    return 0
