"""The durable render queue (issue 18): no Qt; torch only through the service when a job renders.

- :mod:`~nst_desktop.queue.store`: the SQLite queue in the data folder, shared by the window and
  the command line (jobs, their status, pause/resume, reorder, cancel, retry, clear).
- :mod:`~nst_desktop.queue.runner`: paints the jobs one after another through the one render path,
  with "job i of n" progress, the queue's time left, resume from the last finished scale.
- :mod:`~nst_desktop.queue.delivery`: exactly once in the history and in the output folder.
- :mod:`~nst_desktop.queue.batch`: photos x styles x a sweep -> jobs, and the file-name pattern
  (``nst-desktop batch`` and the window's Batch dialog share it).
- :mod:`~nst_desktop.queue.blobs`, :mod:`~nst_desktop.queue.timing`,
  :mod:`~nst_desktop.queue.job`, :mod:`~nst_desktop.queue.owners`: the inputs kept
  content-addressed; the time left; a job's row; who runs a job and whether it is gone.

Layers: gui > cli > queue > recipe > service > io > engine.
"""
