"""Alternative analysis chains measured against ours by the benchmarks.

Kept in an importable module because Whoosh pickles analyzers into the
index: a bench index must be readable by every process that opens it.
"""

from __future__ import annotations

from typing import Any

from whoosh.analysis import (
    CharsetFilter,
    LanguageAnalyzer,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.fields import TEXT
from whoosh.support.charset import accent_map

from index.analysis import (
    FRENCH_STOP_WORDS,
    ElisionFilter,
    FoldFilter,
    FrenchStemFilter,
    FrenchStopFilter,
    FrenchTokenizer,
)
from index.schema import build_schema


def snowball_fr(word: str) -> str:
    """Plain Snowball French, no folding, no cache: the stemmer as others use it."""
    from index.analysis import _stemmer

    return _stemmer.stemWord(word)


def bare_whoosh_analyzer() -> Any:
    """The bare Whoosh French chain: regex words, lowercase, accent map, stop words, Snowball."""
    return (
        RegexTokenizer()
        | LowercaseFilter()
        | CharsetFilter(accent_map)
        | StopFilter(stoplist=FRENCH_STOP_WORDS, minsize=2)
        | StemFilter(stemfn=snowball_fr, lang=None, cachesize=100_000)
    )


def alternative_fields() -> dict[str, Any]:
    """Fields for the alternatives; the product's own fields come from its schema."""
    bare = bare_whoosh_analyzer()
    ours = FrenchTokenizer() | ElisionFilter()
    stem_then_fold = (
        ours
        | LowercaseFilter()
        | StemFilter(stemfn=snowball_fr, lang=None, cachesize=100_000)
        | FoldFilter()
        | FrenchStopFilter()
    )
    no_stops = ours | FoldFilter() | FrenchStopFilter(frozenset()) | FrenchStemFilter()
    return {
        # The bare Whoosh French chain, title and body as separate fields.
        "bare_title": TEXT(analyzer=bare),
        "bare_body": TEXT(analyzer=bare),
        # Alternatives on the combined (title + lead + body) text.
        "lang_fr": TEXT(analyzer=LanguageAnalyzer("fr")),
        "stem_then_fold": TEXT(analyzer=stem_then_fold),
        "no_stops": TEXT(analyzer=no_stops),
        # Our chain, title and body scored separately (body only here).
        "body_only": TEXT(analyzer=build_schema()["content"].analyzer),
    }
