"""Text every database can store: the check each string field that reaches a table carries."""

import re

from pydantic import AfterValidator

# NUL is refused by PostgreSQL; a lone surrogate (valid in JSON as "\ud800") has no
# UTF-8 encoding, so no driver can send it. Both are a 422 at the schema instead.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _refuse_unstorable(value: str) -> str:
    if _UNSTORABLE.search(value):
        raise ValueError("must not contain NUL (U+0000) or unpaired surrogates (U+D800-U+DFFF)")
    return value


# Last in a field's Annotated[str, ...]: Pydantic turns StringConstraints placed after
# a validator into plain checks that no longer strip whitespace first.
Storable = AfterValidator(_refuse_unstorable)
