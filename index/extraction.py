"""Entity extraction for the facets: persons first, then countries outside their names.

Persons go first so that a country word inside a person's name (``Anatole
France``, ``George Washington``) is not taken for the country.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from index.articles import Article, Problem
from index.countries import ADJECTIVE, CountryMatch, find_countries, table
from index.dates import iso
from index.persons import PersonMatch, find_persons
from index.readers import discover, read_articles


@dataclass
class Entities:
    countries: list[CountryMatch]
    persons: list[PersonMatch]


@cache
def _country_words() -> frozenset[str]:
    """Folded country names and capitals (one word, or several joined by spaces): they
    cannot be or start a person's name (``Paris Saint-Germain``, ``Abu Dhabi``)."""
    _, gazetteer = table()
    return frozenset(" ".join(k) for k, e in gazetteer.items() if e.kind != ADJECTIVE)


def extract_text(text: str, surnames: frozenset[str] | None = None) -> Entities:
    """The countries and persons *text* names; *surnames*: those a surname alone
    may name (default: the shipped list, :func:`index.persons.known_surnames`)."""
    persons = find_persons(text, not_names=_country_words(), surnames=surnames)
    spans = [span for person in persons for span in person.spans]
    return Entities(find_countries(text, excluded=spans), persons)


def article_text(article: Article) -> str:
    return "\n".join(part for part in (article.title, article.lead, article.body) if part)


def extract(article: Article, surnames: frozenset[str] | None = None) -> Entities:
    """Fill in nothing, just look: what the facets of *article* would be."""
    return extract_text(article_text(article), surnames)


def annotate(article: Article) -> Article:
    """Set the article's ``countries`` (ISO codes) and ``persons`` (canonical names)."""
    entities = extract(article)
    article.countries = [c.code for c in entities.countries]
    article.persons = [p.name for p in entities.persons]
    return article


def inspect_paths(paths: Iterable[Path]) -> Iterator[dict[str, Any] | Problem]:
    """What indexing would extract from every article under *paths*, as JSON-ready dicts.

    The shape is relied on by scripts and evaluations: ``path``, ``id``,
    ``title``, ``title_source``, ``date``, ``date_source``, ``countries``
    (``code``, ``name``, ``evidence``) and ``persons`` (``name``, ``mentions``,
    ``reason``: the cue that made it a person).
    """
    files, problems = discover(paths)
    yield from problems
    for path in files:
        for item in read_articles(path):
            if isinstance(item, Problem):
                yield item
                continue
            entities = extract(item)
            yield {
                "path": item.path,
                "id": item.id,
                "title": item.title,
                "title_source": item.title_source,
                "date": iso(item.date),
                "date_source": item.date_source,
                "countries": [
                    {"code": c.code, "name": c.name, "evidence": c.evidence}
                    for c in entities.countries
                ],
                "persons": [
                    {"name": p.name, "mentions": p.mentions, "reason": p.reason}
                    for p in entities.persons
                ],
            }
