"""Analyses of stored events: country-pair timelines and the cooperation–conflict index, the
most active actors and pairs, the actor network, and the channels of contact between two
countries. Each reads through a ``communique.store.Store`` and returns dataclasses with
``to_dict()``; the aggregation happens in SQL (``communique.store.aggregate``)."""

from communique.analysis.channels import (
    DEFAULT_GAP_DAYS,
    Channel,
    ChannelRules,
    Channels,
    Contact,
    Party,
    channels,
)
from communique.analysis.common import AnalysisError, AnalysisErrors, country_code
from communique.analysis.network import Edge, Network, Node, actor_network
from communique.analysis.rankings import ActorCount, PairCount, top_actors, top_pairs
from communique.analysis.timeline import QUAD_NAMES, DyadTimeline, Point, dyad_timeline

__all__ = [
    "DEFAULT_GAP_DAYS",
    "QUAD_NAMES",
    "ActorCount",
    "AnalysisError",
    "AnalysisErrors",
    "Channel",
    "ChannelRules",
    "Channels",
    "Contact",
    "DyadTimeline",
    "Edge",
    "Network",
    "Node",
    "PairCount",
    "Party",
    "Point",
    "actor_network",
    "channels",
    "country_code",
    "dyad_timeline",
    "top_actors",
    "top_pairs",
]
