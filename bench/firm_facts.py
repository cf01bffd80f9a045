"""Loading the facts of firms not seen before: as ORM rows against as columns.

    .venv/bin/python -m bench.firm_facts --data-dir /tmp/kn/data-100k \
        --database-url postgresql://…/ketnoi_100k [--firms 100] [--batches 20]

A search's hard-term check and a match load the facts of every firm they rank for the
first time (``matching.firm_facts``). For ``--batches`` batches of ``--firms`` random
suppliers each way, in one process on the catalogue named:

* **rows**: what a load did before (``catalog.queries.firms_by_ids``, the ratings,
  ``FirmFacts.of`` and the API card of each firm, ``firm_dict``);
* **columns**: what it does now (``matching.firm_facts.load_facts``; cards are made
  apart, only for the firms a response shows).

Prints one JSON object: p50, p95 and max milliseconds of each.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time

from .http_load import latency_stats, service_env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--firms", type=int, default=100)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    os.environ.update(service_env(args.data_dir, args.database_url, None))

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from catalog.deals.ratings import aggregates
    from catalog.models import Firm, FirmRole
    from catalog.queries import firms_by_ids
    from catalog.serialize import firm_dict
    from matching.firm_facts import FirmFacts, load_facts
    from webapp import create_app
    from webapp.extensions import db

    app = create_app()
    took: dict[str, list[float]] = {"rows": [], "columns": []}
    with app.app_context():
        session = db.session
        ids = list(session.scalars(select(Firm.id).where(Firm.role == FirmRole.SUPPLIER)))
        rng = random.Random(args.seed)
        for _ in range(args.batches):
            # A session of its own per load, as the cache loads: nothing kept between.
            batch = rng.sample(ids, args.firms)
            with Session(bind=session.connection(), join_transaction_mode="rollback_only") as own:
                started = time.perf_counter()
                ratings = aggregates(own, batch)
                for firm in firms_by_ids(own, batch).values():
                    FirmFacts.of(firm, ratings.get(firm.id))
                    json.dumps(firm_dict(firm), ensure_ascii=False)
                took["rows"].append((time.perf_counter() - started) * 1000)
            batch = rng.sample(ids, args.firms)
            with Session(bind=session.connection(), join_transaction_mode="rollback_only") as own:
                started = time.perf_counter()
                load_facts(own, batch)
                took["columns"].append((time.perf_counter() - started) * 1000)
    print(
        json.dumps(
            {
                "bench": "firm_facts",
                "firms": args.firms,
                "batches": args.batches,
                **{name: latency_stats(values) for name, values in took.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
