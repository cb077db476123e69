"""`build_world`: the world of one run, drawn from the seed, with its membership indexes."""

from __future__ import annotations

import numpy as np

from orchestration.generate.constants import N_CHANNELS
from orchestration.generate.world.accounts import ACCOUNTS, ListSpec
from orchestration.generate.world.campaigns import build_campaigns
from orchestration.generate.world.model import World
from orchestration.generate.world.profiles import build_profiles, profile_count


def build_world(seed: int, events: int, days: int, start_ns: int) -> World:
    """The same world for the same arguments (its RNG is `SeedSequence([seed, 1])`)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    lists: list[tuple[int, ListSpec]] = []
    for a, acc in enumerate(ACCOUNTS):
        for spec in acc.lists:
            lists.append((a, spec))
    profiles = build_profiles(rng, profile_count(events), lists, start_ns, days)
    campaigns = build_campaigns(rng, lists)
    world = World(seed, start_ns, days, tuple(lists), tuple(campaigns), profiles)
    p = profiles
    for li in range(len(lists)):
        in_list = (p.list_index == li) & ~p.internal
        for c in range(N_CHANNELS):
            world.members[(li, c)] = np.flatnonzero(in_list & p.has[:, c]).astype(np.int32)
    for a in range(len(ACCOUNTS)):
        world.internal_of[a] = np.flatnonzero(p.internal & (p.account == a)).astype(np.int32)
    return world
