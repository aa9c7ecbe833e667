"""Import and export as one step each: plan, stop with every problem named, or apply.

``import_guides``, ``export_guides`` and ``sync_content`` all run these, so a stop reads the
same wherever it happens: :class:`Stopped` carries the reason in one line and each problem
or conflict on a line of its own, and nothing was written.
"""

from catalog.fileformat import ContentError, folder_link_out, read_folder
from catalog.pipeline.exporter import apply_export_plan, build_export_plan
from catalog.pipeline.importer import ConflictError, apply_plan, build_plan
from catalog.pipeline.searchdocs import SearchDocuments

# An import holds at most this many guides' bodies in memory; a larger folder's are read
# again as they are written (catalog.fileformat.bodies): 5,000 bodies are about 7 MB.
BODIES_IN_MEMORY = 5000
RESOLVE = (
    "Resolve them in the admin (Content sync), or choose a side with --on-conflict files|database."
)


class Stopped(Exception):
    """An import or export that stopped before writing anything."""

    def __init__(self, reason, details=()):
        super().__init__(reason)
        self.details = [str(detail) for detail in details]

    def __str__(self):
        return "\n".join([self.args[0], *self.details])


def import_folder(root, *, prune=False, on_conflict="stop", dry_run=False, progress=None):
    """Read ``root``, plan the import and (unless ``dry_run``) apply it in one transaction;
    return ``(folder, plan)``. ``progress`` is read_folder's."""
    with SearchDocuments(enabled=not dry_run) as documents:
        folder = read_folder(
            root, progress=progress, each=documents.add, bodies_in_memory=BODIES_IN_MEMORY
        )
        try:
            plan = build_plan(folder, prune=prune, on_conflict=on_conflict)
        except ContentError as exc:
            problems = exc.problems
            raise Stopped(
                f"{len(problems)} problem(s) found; nothing was imported.", problems
            ) from None
        except ConflictError as exc:
            conflicts = exc.conflicts
            raise Stopped(
                f"{len(conflicts)} conflict(s): nothing was imported. {RESOLVE}", conflicts
            ) from None
        if not dry_run:
            try:
                apply_plan(plan, documents)
            except ContentError as exc:  # a file changed after it was read
                raise Stopped(
                    f"{len(exc.problems)} file(s) changed during the import; nothing was imported.",
                    exc.problems,
                ) from None
    return folder, plan


def plan_export(root, *, prune=False, on_conflict="stop", hold_drafts=False):
    """The export of the database into ``root``, planned; Stopped on a conflict, a record
    that would make an invalid file, or a folder to write into that leads out of ``root``."""
    links_out = [p for kind in ("categories", "guides") if (p := folder_link_out(root, kind))]
    if links_out:
        raise Stopped(
            f"{len(links_out)} folder(s) lead outside the data folder; nothing was written.",
            links_out,
        )
    plan = build_export_plan(root, prune=prune, on_conflict=on_conflict, hold_drafts=hold_drafts)
    if plan.conflicts:
        raise Stopped(
            f"{len(plan.conflicts)} conflict(s): nothing was written. {RESOLVE}", plan.conflicts
        )
    if plan.problems:
        raise Stopped(
            f"{len(plan.problems)} record(s) would make invalid files; nothing was written. "
            "Fix them in the admin.",
            plan.problems,
        )
    return plan


def write_export(plan, root, *, move_bases=True):
    """Write a planned export. ``move_bases`` false: the records' sync bases stay where they
    were (a review branch's edits stay pending until it is merged)."""
    if not move_bases:
        plan.bases, plan.deletions_done, plan.moved, plan.undeleted = [], [], [], []
    try:
        apply_export_plan(plan)
    except OSError as exc:
        raise Stopped(
            f"{exc.filename or root}: cannot write: {exc.strerror or exc}; files already "
            "written are complete, the rest are as they were."
        ) from None
