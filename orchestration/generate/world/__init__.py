"""The simulated platform: accounts, databases (lists), resources, campaigns and profiles.

`accounts` (the three fixed accounts and how their hooks reach us), `model` (the dataclasses),
`profiles` and `campaigns` (drawn from the seed), `build` (`build_world`), `strings` (a
profile's ids, hashes and addresses, computed on demand).
"""
