"""Languages of dataset descriptions and the PostgreSQL text-search configuration of each.

A dataset is stemmed in each of its languages that PostgreSQL has a Snowball dictionary for, and
also indexed with the ``simple`` configuration so that exact words stay matchable across languages.
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
