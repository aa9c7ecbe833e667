"""The back office: the admin's forms and one module per model admin, the Content sync page,
the editor's endpoints (preview, uploads) and the login throttle.

Importing this package registers every model admin (Django's admin autodiscovery imports it).
"""

from catalog.admin import (  # noqa: F401  (registers)
    categories,
    deletions,
    guides,
    revisions,
    site,
    tags,
)
from catalog.admin.forms import (  # noqa: F401
    CategoryForm,
    GuideForm,
    TagForm,
    form_fields_of,
    model_form_fields,
)
