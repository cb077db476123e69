{{ hookhouse.family_events('telegram_group') }}
