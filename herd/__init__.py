"""herd: animatable 3D category models from many casual monocular videos.

Packages and their one-way dependencies (a package imports only those to its left)::

    geometry -> data -> synth
    geometry -> data -> model -> render -> run -> export -> evaluation -> report
                                            run, export -> train
    cli (imports everything, lazily, per subcommand)

``import herd`` is cheap: it imports no torch, no OpenCV and no optional dependency.
"""

__version__ = "0.1.0"
