"""Which language a record's text is in, for records that do not say.

WordPress has no per-post language, and a JSON Lines record may leave
``language`` out: both then take their first category's language, which
marks an English post of an Arabic site as Arabic (right to left, the
wrong hyphenation, the wrong voice in a screen reader). With
``[ingest] identify_language``, the text decides instead, when it clearly
can.

The identifier is py3langid (a maintained fork of langid.py, BSD: a naive
Bayes model over byte n-grams, bundled in the package, 4.5 MB, loaded once
per process in about half a second, a tenth of a millisecond per text;
nothing is downloaded). It is restricted to the languages with a two-letter
ISO 639-1 code among its 142 (about a hundred: every language a news site
is likely to publish in) plus the site's own:

* unrestricted, the model splits Arabic among its varieties (``ar``,
  ``ary``, ``arz``: 0.76 / 0.20 / 0.04 for a plain news sentence) and gives
  English's probability partly to Nigerian Pidgin, so a clear text would
  rarely look clear at a useful threshold;
* restricted to the site's configured languages only, an Arabic-only site
  could never find its English posts, the case this is for.

The category's language is kept unless the identifier's probability for
another language reaches ``language_confidence`` (default 0.9) over at
least :data:`MIN_LETTERS` letters of text: a headline of two words, or a
text mixing scripts, keeps its category's language.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from feeds.config.settings import Settings
from feeds.ingest.source import Chunk, Source

Raw = TypeVar("Raw")

MIN_LETTERS = 12  # fewer letters than this (a one-word title) never overrule the category
SAMPLE_CHARACTERS = 2000  # the text identified: title, summary, then the content's start
_TAG = re.compile(r"<[^>]*>")
_ENTITY = re.compile(r"&#?\w+;")
_SPACE = re.compile(r"\s+")


def primary(tag: str) -> str:
    """``ar`` of ``ar-EG``."""
    return tag.split("-", 1)[0].lower()


@functools.cache
def _identifier(site_languages: tuple[str, ...]) -> Any:
    """The model, restricted (module docstring); loaded once per process and site."""
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    known = set(identifier.nb_classes)
    chosen = {label for label in known if len(label) == 2} | (set(site_languages) & known)
    identifier.set_languages(sorted(chosen))
    return identifier


def site_languages(settings: Settings) -> tuple[str, ...]:
    """The site's languages, as primary subtags, sorted."""
    tags = {settings.site.language, *(c.language for c in settings.categories)}
    return tuple(sorted({primary(tag) for tag in tags}))


def text_sample(record: dict[str, Any]) -> str:
    """Title, summary and the content's text, markup removed, cut to a sample."""
    parts = [record.get(name) for name in ("title", "summary", "content")]
    text = " ".join(part for part in parts if isinstance(part, str))[: SAMPLE_CHARACTERS * 4]
    text = _ENTITY.sub(" ", _TAG.sub(" ", text))
    return _SPACE.sub(" ", text).strip()[:SAMPLE_CHARACTERS]


def identify(text: str, settings: Settings) -> tuple[str, float] | None:
    """The likeliest of the site's languages for ``text``, its probability; None: too short."""
    if sum(c.isalpha() for c in text) < MIN_LETTERS:
        return None
    language, probability = _identifier(site_languages(settings)).classify(text)
    return str(language), float(probability)


def with_language(record: object, settings: Settings) -> object:
    """``record`` with the language of its text, if it has none and its text is clearly
    not in its category's language; anything else unchanged (validation reports it)."""
    if (
        not settings.ingest.identify_language
        or not isinstance(record, dict)
        or "language" in record
    ):
        return record
    categories = record.get("categories")
    first = categories[0] if isinstance(categories, list) and categories else None
    category = settings.category(first) if isinstance(first, str) else None
    default = category.language if category else settings.site.language
    found = identify(text_sample(record), settings)
    if found is None:
        return record
    language, probability = found
    if language == primary(default) or probability < settings.ingest.language_confidence:
        return record
    return {**record, "language": language}


def _decode_identified(decoder: Callable[[Raw], object], settings: Settings, raw: Raw) -> object:
    return with_language(decoder(raw), settings)


@dataclass(frozen=True, slots=True)
class LanguageIdentifyingSource(Generic[Raw]):
    """A source whose records without ``language`` get the one their text is in.

    The identification runs in the decoder, so in the pipeline's worker
    processes, like the rest of the per-record work.
    """

    inner: Source[Raw]
    settings: Settings

    @property
    def unit(self) -> str:
        return self.inner.unit

    @property
    def size(self) -> int | None:
        return self.inner.size

    @property
    def decoder(self) -> Callable[[Raw], object]:
        return functools.partial(_decode_identified, self.inner.decoder, self.settings)

    def chunks(self) -> Iterator[Chunk[Raw]]:
        return self.inner.chunks()
