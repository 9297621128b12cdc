"""mediapipe's native code (absl/glog and TensorFlow Lite) writes its own log lines straight to the
process's stderr when a graph starts ("Created TensorFlow Lite XNNPACK delegate",
``inference_feedback_manager.cc ... Disabling support for feedback tensors``), from its own
threads; neither ``GLOG_minloglevel`` nor ``TF_CPP_MIN_LOG_LEVEL`` reaches it (absl writes them
before ``InitializeLog``). ``herd preprocess`` therefore filters file descriptor 2 itself unless
``--verbose``: it points at a pipe, and a thread passes on everything that comes through it (herd's
own messages, progress bars, any other error) except the native log lines."""

from __future__ import annotations

import contextlib
import os
import re
import sys
import threading

#: glog/absl lines (``W0000 00:00:1796608960.269080   21373 file.cc:114] ...``) and TensorFlow Lite's
NATIVE_LOG_LINE = re.compile(
    rb"[IWEF]\d{4} [\d:.]+ +\d+ [\w.-]+:\d+\]|INFO: Created TensorFlow Lite |"
    rb"WARNING: All log messages before absl::InitializeLog\(\)"
)
_PIECE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)")  # a line, or a progress bar's carriage-return update


def _forward(src: int, dst: int) -> None:
    """Copy ``src`` to ``dst`` piece by piece until end of file, dropping native log lines."""
    pending = b""
    while True:
        chunk = os.read(src, 65536)
        pending += chunk
        end = 0
        for m in _PIECE.finditer(pending):
            if not NATIVE_LOG_LINE.match(m.group()):
                _write_all(dst, m.group())
            end = m.end()
        pending = pending[end:]
        if not chunk:
            _write_all(dst, pending)
            return


def _write_all(fd: int, data: bytes) -> None:
    with contextlib.suppress(OSError):  # a closed terminal must not block the pipe
        while data:
            data = data[os.write(fd, data) :]


@contextlib.contextmanager
def native_logs_filtered(active: bool = True):
    """Within the block, native log lines written to stderr are dropped and everything else passes
    (``active=False`` changes nothing)."""
    if not active:
        yield
        return
    sys.stderr.flush()
    real = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)
    thread = threading.Thread(target=_forward, args=(read_end, real), name="herd-stderr-filter", daemon=True)
    thread.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(real, 2)  # closes the pipe's last write end: the thread drains it and ends
        thread.join(timeout=10)
        os.close(read_end)
        os.close(real)
