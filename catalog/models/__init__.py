"""The schema: guides, categories, tags, revisions and the site's own records, with their
querysets. Data only: a content change (rendering aside, which ``save()`` stores) is the write
side's (catalog.write), which models never import.

- ``querysets``: the one definition of what visitors may see (``published()``) and every
  page-shaped query;
- ``content``: guides, categories and the links between them and their tags;
- ``history``: revisions and the redirects old slugs leave;
- ``site``: the content version, login throttles, sync runs and review links."""

from taggit.models import Tag  # noqa: F401  (taggit's, through TaggedGuide)

from catalog.models.content import (  # noqa: F401
    NO_RENDERING,
    NOT_RENDERED,
    Category,
    Content,
    Guide,
    GuideCategory,
    SitemapBlock,
    TaggedGuide,
    TagStats,
    diagram_upload_to,
    page_link,
    slug_validator,
)
from catalog.models.history import (  # noqa: F401
    CategoryRevision,
    Deletion,
    GuideRevision,
    SlugRedirect,
)
from catalog.models.querysets import (  # noqa: F401
    CARD_FIELDS,
    RELATED_WINDOW,
    CardIterable,
    CardTag,
    CategoryQuerySet,
    GuideQuerySet,
    published_tags,
)
from catalog.models.site import (  # noqa: F401
    LoginThrottle,
    ReviewLink,
    SiteState,
    SuggestionWord,
    SyncLock,
    SyncRun,
)
