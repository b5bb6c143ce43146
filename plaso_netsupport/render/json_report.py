"""The findings document as JSON: the document itself, deterministically."""

import json


def Render(document, source=""):  # pylint: disable=unused-argument
    """Returns the document as indented JSON with sorted keys.

    Two renders of one document are byte-identical; evidence text is kept as
    is (ensure_ascii=False), JSON escaping makes it inert.
    """
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
