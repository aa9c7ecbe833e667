"""The pipeline between files and database: the import plan and its application, the export, the
README's table of contents and the link checks."""
