"""Languages of dataset descriptions and the PostgreSQL text-search configurations of each.

A dataset is stemmed in each of its languages that PostgreSQL has a Snowball dictionary for, and
also indexed word for word (``passerelle_simple``) so that exact words match across languages.
Accents are ignored: every configuration named here has an unaccented copy (``unaccented``).
"""

# The 24 official EU languages plus a few used across the data spaces (ISO 639-1).
LANGUAGE_NAMES: dict[str, str] = {
    "bg": "Bulgarian", "cs": "Czech", "da": "Danish", "de": "German", "el": "Greek",
    "en": "English", "es": "Spanish", "et": "Estonian", "fi": "Finnish", "fr": "French",
    "ga": "Irish", "hr": "Croatian", "hu": "Hungarian", "it": "Italian", "lt": "Lithuanian",
    "lv": "Latvian", "mt": "Maltese", "nl": "Dutch", "pl": "Polish", "pt": "Portuguese",
    "ro": "Romanian", "sk": "Slovak", "sl": "Slovenian", "sv": "Swedish",
    "ca": "Catalan", "eu": "Basque", "no": "Norwegian", "is": "Icelandic", "tr": "Turkish",
    "sr": "Serbian", "uk": "Ukrainian", "ru": "Russian",
}  # fmt: skip

# ISO 639-1 code -> PostgreSQL text search configuration (those shipped with PostgreSQL 13+).
PG_SEARCH_CONFIGS: dict[str, str] = {
    "da": "danish", "de": "german", "el": "greek", "en": "english", "es": "spanish",
    "fi": "finnish", "fr": "french", "ga": "irish", "hu": "hungarian", "it": "italian",
    "lt": "lithuanian", "nl": "dutch", "pt": "portuguese", "ro": "romanian", "sv": "swedish",
    "ca": "catalan", "eu": "basque", "no": "norwegian", "tr": "turkish", "sr": "serbian",
    "ru": "russian",
}  # fmt: skip

LANGUAGE_CHOICES = sorted(LANGUAGE_NAMES.items(), key=lambda item: item[1])
DEFAULT_SEARCH_CONFIG = "english"


def unaccented(config: str) -> str:
    """The copy of PostgreSQL's ``config`` that removes accents (the ``unaccent`` dictionary)
    before its own dictionary: "récoltes" and "recoltes" give one stem, "Müller" and "Muller" one
    word. Migration 0008 creates one for ``simple`` and for each configuration above."""
    return f"passerelle_{config}"


EXACT_WORDS_CONFIG = unaccented("simple")

# Each unaccented configuration -> the PostgreSQL configuration it copies (migration 0008).
UNACCENTED_CONFIGS: dict[str, str] = {
    unaccented(config): config for config in ("simple", *sorted(set(PG_SEARCH_CONFIGS.values())))
}


def stemming_configs(config: str) -> tuple[str, str]:
    """The configurations a text in ``config``'s language is indexed and searched with:
    PostgreSQL's own, then its unaccented copy (the trigger uses the first alone for text that
    has no accents, since both give the same lexemes then).

    The unaccented copy makes accents optional. PostgreSQL's own configuration stays too: the
    stemmers' rules are written for the accented language and miss some endings once the accents
    are gone (French "cultivées" stems to "cultiv" like "cultiver", but "cultivees" to
    "cultive"; Hungarian "-ből", Turkish "-ığı" likewise), so without it those forms would stop
    matching each other.
    """
    return (config, unaccented(config))
