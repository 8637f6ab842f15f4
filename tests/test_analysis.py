"""The analyses on stores filled with synthetic events of known answers, through the store's
public add path, on a real SQLite file and a real PostgreSQL server."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from communique.analysis import (
    AnalysisError,
    ChannelRules,
    Party,
    actor_network,
    channels,
    dyad_timeline,
    top_actors,
    top_pairs,
)
from communique.ontology import cameo
from communique.records import Actor, Article, Cameo, Event, Modality
from communique.store import Store
from tests.postgres import fresh_database, postgres_url  # noqa: F401  (a fixture)

_ids = itertools.count(1)

# Actors: (name, country, sector, title).
BIDEN = ("Joe Biden", "USA", "GOV", "president")
XI = ("Xi Jinping", "CHN", "GOV", "president")
SULLIVAN = ("Jake Sullivan", "USA", "GOV", "national security adviser")
ZHANG = ("Zhang Youxia", "CHN", "MIL", "vice chairman of the Central Military Commission")
OFFICIAL = ("top Chinese military official", "CHN", "MIL", "military official")
BLINKEN = ("Antony Blinken", "USA", "GOV", "secretary of state")
WANG = ("Wang Yi", "CHN", "GOV", "foreign minister")
WASHINGTON = ("Washington", "USA", "GOV", None)
BEIJING = ("Beijing", "CHN", "GOV", None)
FORMER = ("Jim Mattis", "USA", "ELI", "defense secretary")
USA = ("United States", "USA", None, None)
CHN = ("China", "CHN", None, None)
RUS = ("Russia", "RUS", None, None)


def actor(spec: tuple[str, str, str | None, str | None]) -> Actor:
    name, country, sector, title = spec
    return Actor.of(text=name, name=name, country=country, sector=sector, title=title)


def event(
    source: tuple[str, str, str | None, str | None],
    target: tuple[str, str, str | None, str | None],
    code: str,
    when: str,
    *,
    modality: Modality = "asserted",
    negated: bool = False,
    article: str = "a",
) -> Event:
    entry = cameo(code)
    precision = {10: "day", 7: "month", 4: "year"}[len(when)]
    number = next(_ids)
    return Event(
        event_id=f"e{number:05d}",
        article_id=article,
        sentence_index=number,
        sentence=f"{source[0]} and {target[0]}, {code}, {when}.",
        span=(0, 1),
        trigger="x",
        rule="test",
        date=when,
        date_precision=precision,  # type: ignore[arg-type]
        source=actor(source),
        target=actor(target),
        cameo=Cameo(entry.code, entry.root, entry.name, entry.goldstein, entry.quad_class),
        plover=None,
        modality=modality,
        negated=negated,
    )


def store_of(url: str, articles: dict[str, tuple[str, list[Event]]]) -> Store:
    """A store holding each article (id: (publication date, events))."""
    store = Store.open(url)
    items = []
    for article_id, (published, events) in articles.items():
        article = Article(text=article_id, published=date.fromisoformat(published), id=article_id)
        items.append((article, [e for e in events if e.article_id == article_id]))
    store.add_batch(items)
    return store


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return str(tmp_path / "events.db")
    return fresh_database(request.getfixturevalue("postgres_url"))


# --------------------------------------------------------------------------------------------
# Timeline, rankings, network


def timeline_events() -> list[Event]:
    return [
        event(USA, CHN, "040", "2024-01-05"),  # +1.0, quad 1; week of 2024-01-01
        event(USA, CHN, "061", "2024-01-10"),  # +6.4, quad 2; week of 2024-01-08
        event(USA, CHN, "111", "2024-01-15"),  # -2.0, quad 3; week of 2024-01-15
        event(USA, CHN, "190", "2024-03-02"),  # -10.0, quad 4; week of 2024-02-26
        event(CHN, USA, "010", "2024-01-07"),  # 0.0, quad 1
        event(USA, CHN, "112", "2024-02"),  # month only: in months, not in weeks
        event(USA, CHN, "042", "2024"),  # year only: in neither
        event(USA, CHN, "036", "2024-01-08", modality="intended"),  # planned: not counted
        event(USA, CHN, "173", "2024-01-09", negated=True),  # denied: not counted
        event(USA, RUS, "040", "2024-01-05"),
        event(RUS, CHN, "040", "2024-01-05"),
        event(RUS, CHN, "111", "2024-02-05"),
    ]


@pytest.fixture
def timeline_store(db_url: str) -> Iterator[Store]:
    with store_of(db_url, {"a": ("2024-03-31", timeline_events())}) as store:
        yield store


def test_monthly_timeline_counts_index_and_goldstein(timeline_store: Store) -> None:
    timeline = dyad_timeline(timeline_store, "usa", "CHN")
    assert timeline.periods == ["2024-01", "2024-02", "2024-03"]
    january, february, march = timeline.direction("USA", "CHN")
    assert january.counts == {1: 1, 2: 1, 3: 1, 4: 0}
    assert january.events == 3
    assert january.mean_goldstein == pytest.approx((1.0 + 6.4 - 2.0) / 3)
    assert january.index == pytest.approx((7.4 - 2.0) / 9.4)
    assert (february.counts[3], february.index) == (1, -1.0)
    assert (march.counts[4], march.mean_goldstein, march.index) == (1, -10.0, -1.0)
    back = timeline.direction("CHN", "USA")
    assert [point.events for point in back] == [1, 0, 0]
    assert back[0].mean_goldstein == 0.0
    assert back[0].index is None  # only a 0-scored statement: no weight either way
    record = timeline.to_dict()
    assert record["directions"][0]["points"][0]["quad_classes"] == {"1": 1, "2": 1, "3": 1, "4": 0}
    assert record["directions"][0]["points"][0]["index"] == 0.574


def test_weekly_timeline_needs_days_and_fills_gaps(timeline_store: Store) -> None:
    timeline = dyad_timeline(timeline_store, "USA", "CHN", by="week")
    assert timeline.periods[0] == "2024-01-01" and timeline.periods[-1] == "2024-02-26"
    assert len(timeline.periods) == 9
    weekly = {p.period: p.events for p in timeline.direction("USA", "CHN")}
    assert weekly == {period: 0 for period in timeline.periods} | {
        "2024-01-01": 1,
        "2024-01-08": 1,
        "2024-01-15": 1,
        "2024-02-26": 1,
    }


def test_timeline_dates_bound_the_events(timeline_store: Store) -> None:
    timeline = dyad_timeline(timeline_store, "USA", "CHN", since=date(2024, 2, 1))
    assert timeline.periods == ["2024-02", "2024-03"]
    assert dyad_timeline(timeline_store, "USA", "CHN", until=date(2023, 1, 1)).periods == []


def test_top_actors_and_pairs(timeline_store: Store) -> None:
    # Every happened event counts, whatever its date precision: USA-CHN has 7 (6 and 1).
    actors = top_actors(timeline_store, limit=2)
    assert [(a.code, a.events) for a in actors] == [("CHN", 9), ("USA", 8)]
    assert [a.code for a in top_actors(timeline_store, country="RUS")] == ["RUS"]
    pairs = top_pairs(timeline_store)
    assert [(p.a, p.b, p.events, p.a_to_b, p.b_to_a) for p in pairs] == [
        ("CHN", "USA", 7, 1, 6),
        ("CHN", "RUS", 2, 0, 2),
        ("RUS", "USA", 1, 0, 1),
    ]
    assert [(p.a, p.b) for p in top_pairs(timeline_store, country="RUS", limit=1)] == [
        ("CHN", "RUS")
    ]


def test_actor_network_weights(timeline_store: Store) -> None:
    network = actor_network(timeline_store)
    weights = {(e.source, e.target): e.weight for e in network.edges}
    assert weights == {("USA", "CHN"): 6, ("CHN", "USA"): 1, ("USA", "RUS"): 1, ("RUS", "CHN"): 2}
    nodes = {node.id: node.weight for node in network.nodes}
    assert nodes == {"USA": 8, "CHN": 9, "RUS": 3}
    heavy = actor_network(timeline_store, min_weight=2)
    assert [(e.source, e.target) for e in heavy.edges] == [("USA", "CHN"), ("RUS", "CHN")]
    assert {node.id for node in heavy.nodes} == {"USA", "CHN", "RUS"}
    russian = actor_network(timeline_store, country="RUS", since=date(2024, 2, 1))
    assert [(e.source, e.target, e.goldstein) for e in russian.edges] == [("RUS", "CHN", -2.0)]
    assert actor_network(timeline_store, limit=1).to_dict()["edges"] == [
        {"source": "USA", "target": "CHN", "weight": 6, "goldstein": -0.783}
    ]


def test_unknown_countries_are_refused(timeline_store: Store) -> None:
    with pytest.raises(AnalysisError, match="unknown country code 'XX'"):
        dyad_timeline(timeline_store, "XX", "CHN")
    with pytest.raises(AnalysisError, match="two different countries"):
        channels(timeline_store, "CHN", "chn")
    with pytest.raises(AnalysisError, match="unknown country code 'Atlantis'"):
        actor_network(timeline_store, country="Atlantis")


# --------------------------------------------------------------------------------------------
# Channels


def channel_articles() -> dict[str, tuple[str, list[Event]]]:
    return {
        "a2023": ("2023-11-16", [event(BIDEN, XI, "040", "2023-11-15", article="a2023")]),
        "a2024": (
            "2024-11-17",
            [
                event(XI, BIDEN, "042", "2024-11-16", article="a2024"),
                event(BLINKEN, WANG, "040", "2024-04-26", article="a2024"),
                event(SULLIVAN, XI, "040", "2024-08-29", article="a2024"),  # NSA + leader
                event(SULLIVAN, OFFICIAL, "040", "2024-08-28", article="a2024"),
                event(SULLIVAN, ZHANG, "040", "2024-08-28", article="a2024"),  # NSA + general
                event(WASHINGTON, BEIJING, "041", "2024-05-02", article="a2024"),
                event(FORMER, BEIJING, "042", "2024-06-10", article="a2024"),
                event(BLINKEN, WANG, "040", "2024-07-01", negated=True, article="a2024"),
                event(BLINKEN, WANG, "111", "2024-07-02", article="a2024"),  # no contact
            ],
        ),
        "plans": (
            "2024-09-01",
            [
                # after the last leaders' contact (2024-11-16) and after publication: planned
                event(BIDEN, XI, "036", "2025-01", modality="intended", article="plans"),
                # before the last leaders' contact: no longer planned
                event(BIDEN, XI, "036", "2024-10", modality="intended", article="plans"),
                # the very day of publication: not after it
                event(BLINKEN, WANG, "036", "2024-09-01", modality="intended", article="plans"),
                event(BLINKEN, WANG, "036", "2024-12", modality="intended", negated=True,
                      article="plans"),
            ],
        ),
    }  # fmt: skip


@pytest.fixture
def channel_store(db_url: str) -> Iterator[Store]:
    with store_of(db_url, channel_articles()) as store:
        yield store


def test_each_contact_belongs_to_the_most_specialised_level(channel_store: Store) -> None:
    found = channels(channel_store, "USA", "CHN")
    assert [c.level for c in found.channels] == [
        "military", "security", "diplomats", "legislators", "leaders", "other",
    ]  # fmt: skip
    assert found.channel("security").last is not None
    assert found.channel("security").last.target.name == "Xi Jinping"
    diplomats = found.channel("diplomats")
    assert diplomats.last is not None and diplomats.last.date == "2024-04-26"
    assert diplomats.contacts == 1  # the negated meeting and the criticism are no contacts
    other = found.channel("other")
    assert other.last is not None and other.last.date == "2024-06-10"  # the former official
    assert other.previous is not None and other.previous.date == "2024-05-02"
    assert found.channel("legislators").last is None


def test_named_people_are_preferred_on_the_same_date(channel_store: Store) -> None:
    military = channels(channel_store, "USA", "CHN").channel("military")
    assert military.last is not None
    assert (military.last.source.name, military.last.target.name) == (
        "Jake Sullivan",
        "Zhang Youxia",
    )
    assert military.contacts == 1  # two reports of one merged meeting
    assert military.previous is None and military.gap_days is None
    assert military.first_since is False


def test_gap_and_first_since(channel_store: Store) -> None:
    leaders = channels(channel_store, "USA", "CHN").channel("leaders")
    assert leaders.last is not None and leaders.previous is not None
    assert (leaders.last.date, leaders.previous.date) == ("2024-11-16", "2023-11-15")
    assert leaders.gap_days == 367
    assert leaders.first_since is True
    patient = channels(channel_store, "USA", "CHN", gap_days=367)
    assert patient.channel("leaders").first_since is False
    with pytest.raises(AnalysisError, match="at least 1 day"):
        channels(channel_store, "USA", "CHN", gap_days=0)


def test_planned_contacts_lie_ahead_of_the_article_and_the_last_contact(
    channel_store: Store,
) -> None:
    found = channels(channel_store, "CHN", "USA")
    assert [(p.date, p.source.name, p.target.name) for p in found.channel("leaders").planned] == [
        ("2025-01", "Joe Biden", "Xi Jinping")
    ]
    assert found.channel("diplomats").planned == []


def test_as_of_looks_back_in_time(channel_store: Store) -> None:
    found = channels(channel_store, "USA", "CHN", as_of=date(2024, 6, 1))
    leaders = found.channel("leaders")
    assert leaders.last is not None and leaders.last.date == "2023-11-15"
    assert leaders.previous is None and leaders.planned == []  # the plans were not yet reported
    assert found.channel("military").last is None
    later = channels(channel_store, "USA", "CHN", as_of=date(2024, 9, 30)).channel("leaders")
    assert [plan.date for plan in later.planned] == ["2024-10", "2025-01"]
    assert later.to_dict()["planned"][0]["published"] == "2024-09-01"


def party(title: str | None, sector: str | None = "GOV", code: str = "USAGOV") -> Party:
    return Party(name="Someone", code=code, country="USA", sector=sector, title=title)


@pytest.mark.parametrize(
    ("title", "sector", "code", "level"),
    [
        ("vice chairman of the Central Military Commission", "MIL", "CHNMIL", "military"),
        ("secretary of defense", "GOV", "USAGOV", "military"),
        ("national security adviser", "GOV", "USAGOV", "security"),
        ("secretary of state", "GOV", "USAGOV", "diplomats"),
        ("Senate majority leader", "LEG", "USALEG", "legislators"),
        ("senator", None, "USAGOVLEG", "legislators"),
        ("general secretary of the Chinese Communist Party", "GOV", "CHNGOV", "leaders"),
        ("vice-president", "GOV", "USAGOV", "leaders"),
        ("attorney general", "GOV", "USAGOV", None),
        ("defense secretary", "ELI", "USAELI", None),
        (None, "GOV", "USAGOV", None),
    ],
)
def test_levels_of_actors(
    title: str | None, sector: str | None, code: str, level: str | None
) -> None:
    rules = ChannelRules.load()
    assert rules.level_of(party(title, sector, code)) == level


def test_a_broken_rules_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "channels.yml"
    broken.write_text("contact_codes: [x]\n", encoding="utf-8")
    with pytest.raises(AnalysisError, match=r"channel levels file .*channels\.yml"):
        ChannelRules.load(broken)
