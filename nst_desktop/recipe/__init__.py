"""The Recipe: what a picture is made of, shared by every front end (issue 17.1).

A :class:`~nst_desktop.recipe.recipe.Recipe` is the photo, the styles with their blend weights,
the settings, the after-touches and the mask. It is what a history entry restores, what
``--params`` repeats, what the render queue stores and what the farm receives. Each source
builds one its own way (``cli.recipe_options`` from options, :func:`recipe.from_record` from a
record, the window's :class:`~nst_desktop.recipe.document.Document`), and every one goes
through the one check, :func:`~nst_desktop.recipe.validate.check`, before torch is imported.
:func:`~nst_desktop.recipe.jobs.job_for` turns a recipe into the service's ``Job``.

No Qt and no torch here (import-linter keeps it so): the CLI, the window and the queue read
and check recipes at once, and the document is tested without a window.
"""
