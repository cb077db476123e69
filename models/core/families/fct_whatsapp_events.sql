{{ hookhouse.family_events('whatsapp') }}
