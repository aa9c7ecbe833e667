"""The guide and category file format: read, validate and describe a content folder, write a
record back as a file, compare and merge versions, render markdown.

Plain Python that knows nothing of Django's ORM, so that validation can run in a content
repository's CI, in tests and in the importer alike. This package's public names are
re-exported here; each is defined in one module:

- ``characters``: the characters no field may hold;
- ``problems``: a problem found in a file, named by path, line and field;
- ``reading``: bytes to frontmatter and body (UTF-8, boundaries, safe YAML, control
  characters);
- ``rules``: each field's rules (text, dates, images, slugs, lists, extra keys);
- ``tags``: what a tag may be, how typed tags split, near-duplicate spellings;
- ``schema``: each frontmatter key declared once (file key, attribute, model field, form
  field, kind, merge rule), and the file-form classes made from it;
- ``items``: the guide and category file forms, parsed and validated;
- ``folder``: a content folder read whole, with the rules that span files;
- ``bodies``: a large folder's bodies kept on disk, compared by digest, read again to write;
- ``serialise``: a file form written back in the real collection's layout;
- ``merge``: the file form as data, three-way merges and where a record stands;
- ``rendering``: markdown to sanitised HTML; ``files``: atomic writes."""

from catalog.fileformat.characters import CONTROL_RE, control_problem, describe_control  # noqa: F401
from catalog.fileformat.folder import (  # noqa: F401
    REPOSITORY_PROBLEM,
    ContentFolder,
    folder_link_out,
    read_folder,
    repository_lookalikes,
)
from catalog.fileformat.items import (  # noqa: F401
    CATEGORY_KEYS,
    GUIDE_KEYS,
    parse_category,
    parse_guide,
    read_category,
    read_guide,
    validate_category,
    validate_guide,
)
from catalog.fileformat.merge import from_data, merge, to_data  # noqa: F401
from catalog.fileformat.problems import (  # noqa: F401
    ContentError,
    FileReport,
    Problem,
    count_by_kind,
    printable,
)
from catalog.fileformat.reading import (  # noqa: F401
    BOUNDARY_RE,
    MAX_FILE_BYTES,
    DuplicateKeyError,
    decode,
    load_yaml,
    read_limited,
    split,
)
from catalog.fileformat.rules import (  # noqa: F401
    DATE_RE,
    MAX_DESCRIPTION_CHARS,
    MAX_SLUG_CHARS,
    MAX_TITLE_CHARS,
    SLUG_RE,
    check_slug,
    image_reference,
    moment_text,
    slug_clash_problem,
)
from catalog.fileformat.schema import CATEGORY, GUIDE, CategoryFile, GuideFile, Key  # noqa: F401
from catalog.fileformat.serialise import serialise, serialise_category, serialise_guide  # noqa: F401
from catalog.fileformat.tags import (  # noqa: F401
    MAX_TAG_CHARS,
    near_duplicate_tags,
    split_tag_text,
    tag_family,
    tag_problem,
    tag_text,
)
