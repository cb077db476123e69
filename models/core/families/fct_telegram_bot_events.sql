{{ hookhouse.family_events('telegram_bot') }}
