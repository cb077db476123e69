"""The planner: what happens on every day of the window, as integer columns.

`planner` (volume control and the campaign schedule) drives the simulators through a shared
`state.PlanState`: `launches`, `sends` and `engagement` (a campaign launch and the per-send
funnel), `day_start` (silent status changes and re-subscriptions), `families` (the other
families: `onsite`, `rewards`, `profile_ops`). They draw from `draws`, track subscription
status in `status` and emit rows into `events.EventSink`, whose `DayTable`s are the planner's
output.
"""
