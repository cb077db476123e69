{{ hookhouse.family_events('sms') }}
