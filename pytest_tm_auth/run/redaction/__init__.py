"""Output redaction: reports, exceptions, warnings, logs and the reporters' own files."""
