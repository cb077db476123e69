"""Drawing the campaigns: per list and channel, regular ones, a trigger and the double opt-in."""

from __future__ import annotations

import numpy as np

import orchestration.generate.reference as ref
from orchestration.generate.constants import CH, CHANNELS
from orchestration.generate.world.accounts import ACCOUNTS, ListSpec
from orchestration.generate.world.model import Campaign


def build_campaigns(rng: np.random.Generator, lists: list[tuple[int, ListSpec]]) -> list[Campaign]:
    """The campaigns of every list ((account index, list) pairs), numbered in creation order."""
    campaigns: list[Campaign] = []
    next_id = {a: acc.campaign_base for a, acc in enumerate(ACCOUNTS)}
    next_msg = {a: acc.message_base for a, acc in enumerate(ACCOUNTS)}

    def add(
        a: int,
        li: int,
        c: int,
        kind: str,
        name: str,
        *,
        audience: bool = False,
        promo: bool = False,
        confirm: bool = False,
    ) -> None:
        acc = ACCOUNTS[a]
        cid = next_id[a]
        next_id[a] += int(rng.integers(1, 6))
        n_msg = 2 if (kind == "regular" and rng.random() < 0.3) else 1
        msgs = tuple(next_msg[a] + k for k in range(n_msg))
        next_msg[a] += n_msg + int(rng.integers(0, 3))
        n_links = int(rng.integers(1, 5))
        paths = rng.choice(len(ref.LINK_PATHS), size=n_links, replace=False)
        links = tuple(
            f"{acc.site}{ref.LINK_PATHS[int(k)].format(c=cid)}?utm_source=altcraft"
            f"&utm_medium={CHANNELS[c]}&utm_campaign={cid}"
            for k in paths
        )
        campaigns.append(
            Campaign(
                index=len(campaigns),
                campaign_id=cid,
                account=a,
                list_index=li,
                channel=c,
                kind=kind,
                name=name,
                message_ids=msgs,
                segment_id=0 if rng.random() < 0.4 else int(rng.integers(1, 40)),
                links=links,
                is_static=bool(rng.random() < 0.3),
                audience=audience,
                promo=promo,
                confirm=confirm,
                open_rate=float(rng.uniform(0.22, 0.36)),
                click_rate=float(rng.uniform(0.026, 0.040)),
            )
        )

    for li, (a, _spec) in enumerate(lists):
        acc = ACCOUNTS[a]
        first_list = lists.index(next(x for x in lists if x[0] == a)) == li
        for name in acc.channels:
            c = CH[name]
            n_regular = 6 if name == "email" else 3
            for k in range(n_regular):
                topic = ref.CAMPAIGN_TOPICS[int(rng.integers(0, len(ref.CAMPAIGN_TOPICS)))]
                mass = name in ("email", "sms", "push")
                add(
                    a, li, c, "regular", f"{topic} ({name})",
                    audience=mass and k == 1 and (name == "email" or rng.random() < 0.5),
                    promo=name == "email" and (k == 2 or rng.random() < 0.15),
                    confirm=name == "email" and (k == 3 or rng.random() < 0.1),
                )  # fmt: skip
            if name in ("email", "sms", "push", "whatsapp", "viber", "notify", "telegram_bot"):
                topic = ref.TRIGGER_TOPICS[int(rng.integers(0, len(ref.TRIGGER_TOPICS)))]
                add(a, li, c, "trigger", f"{topic} ({name})")
        if first_list:
            add(a, li, CH["email"], "doi", "Double opt-in confirmation")
    return campaigns
