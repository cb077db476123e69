"""Small fixed reference tables the synthetic data draws from (names, places, devices).

All values are invented or generic; none identify a real person. Tuples, not sets, so that
every draw is reproducible. (Long lines: user-agent strings and table rows are kept whole.)
"""
# ruff: noqa: E501

from __future__ import annotations

from typing import NamedTuple

FIRST_NAMES = (
    "anna", "ivan", "maria", "dmitry", "olga", "sergey", "elena", "alexey", "natalia", "pavel",
    "irina", "nikolai", "svetlana", "andrey", "tatiana", "mikhail", "yulia", "artem", "daria",
    "roman", "john", "emma", "liam", "olivia", "noah", "ava", "lucas", "mia", "aigerim", "nursultan",
    "dilnoza", "timur", "aliya", "rustam", "zarina", "emre", "elif", "lena", "jonas", "sofia",
)  # fmt: skip

LAST_NAMES = (
    "ivanova", "petrov", "smirnova", "kuznetsov", "popova", "volkov", "sokolova", "lebedev",
    "kozlova", "novikov", "morozova", "orlov", "pavlova", "egorov", "smith", "johnson", "brown",
    "miller", "davis", "garcia", "wilson", "akhmetova", "seitkali", "karimov", "yusupova",
    "yilmaz", "demir", "schmidt", "weber", "fischer",
)  # fmt: skip

EMAIL_DOMAINS = (
    ("gmail.com", 0.24), ("mail.ru", 0.16), ("yandex.ru", 0.16), ("outlook.com", 0.07),
    ("yahoo.com", 0.05), ("icloud.com", 0.05), ("rambler.ru", 0.04), ("bk.ru", 0.04),
    ("list.ru", 0.03), ("inbox.ru", 0.03), ("hotmail.com", 0.03), ("gmx.de", 0.02),
    ("proton.me", 0.02), ("corp-mail.example", 0.03), ("old-isp.example", 0.03),
)  # fmt: skip
"""(domain, share). `old-isp.example` bounces far more often than the rest."""

DOMAIN_BOUNCE_FACTOR = {"old-isp.example": 6.0, "corp-mail.example": 2.0, "hotmail.com": 1.5}


class Geo(NamedTuple):
    country: str
    city: str
    region: str
    postal_code: str
    tz: str
    lat: float
    lon: float
    phone_prefix: str
    ip_prefix: str
    weight: float


GEOS = (
    Geo(".ru", "Moscow", "Moskva", "101000", "Europe/Moscow", 55.7522, 37.6156, "+7916", "95.165", 0.22),
    Geo(".ru", "Saint Petersburg", "Sankt-Peterburg", "190000", "Europe/Moscow", 59.9386, 30.3141, "+7921", "178.66", 0.10),
    Geo(".ru", "Novosibirsk", "Novosibirskaya oblast", "630000", "Asia/Novosibirsk", 55.0415, 82.9346, "+7913", "83.69", 0.04),
    Geo(".ru", "Yekaterinburg", "Sverdlovskaya oblast", "620000", "Asia/Yekaterinburg", 56.8519, 60.6122, "+7912", "46.146", 0.04),
    Geo(".ru", "Kazan", "Tatarstan", "420000", "Europe/Moscow", 55.7887, 49.1221, "+7917", "85.26", 0.03),
    Geo(".ru", "Khimki", "Moskovskaya oblast", "141400", "Europe/Moscow", 55.8970, 37.4297, "+7926", "93.80", 0.03),
    Geo(".kz", "Almaty", "Almaty", "050000", "Asia/Almaty", 43.2567, 76.9286, "+7701", "2.132", 0.06),
    Geo(".kz", "Astana", "Astana", "010000", "Asia/Almaty", 51.1801, 71.4460, "+7702", "92.46", 0.03),
    Geo(".by", "Minsk", "Horad Minsk", "220000", "Europe/Minsk", 53.9000, 27.5667, "+37529", "178.120", 0.03),
    Geo(".uz", "Tashkent", "Toshkent Shahri", "100000", "Asia/Tashkent", 41.2646, 69.2163, "+99890", "84.54", 0.03),
    Geo(".am", "Yerevan", "Yerevan", "0010", "Asia/Yerevan", 40.1811, 44.5136, "+37477", "37.252", 0.02),
    Geo(".ge", "Tbilisi", "Tbilisi", "0105", "Asia/Tbilisi", 41.6941, 44.8337, "+99559", "31.146", 0.02),
    Geo(".tr", "Istanbul", "Istanbul", "34000", "Europe/Istanbul", 41.0138, 28.9497, "+90532", "88.230", 0.03),
    Geo(".ae", "Dubai", "Dubai", "00000", "Asia/Dubai", 25.0772, 55.3093, "+97150", "94.200", 0.02),
    Geo(".de", "Berlin", "Land Berlin", "10115", "Europe/Berlin", 52.5244, 13.4105, "+49151", "91.64", 0.04),
    Geo(".de", "Munich", "Bavaria", "80331", "Europe/Berlin", 48.1374, 11.5755, "+49160", "84.150", 0.02),
    Geo(".us", "New York", "New York", "10001", "America/New_York", 40.7143, -74.0060, "+1212", "72.229", 0.06),
    Geo(".us", "Columbus", "Ohio", "43004", "America/New_York", 39.9612, -82.9988, "+1614", "74.140", 0.03),
    Geo(".us", "San Jose", "California", "95103", "America/Los_Angeles", 37.3394, -121.8950, "+1408", "98.207", 0.03),
    Geo(".us", "Chicago", "Illinois", "60601", "America/Chicago", 41.8500, -87.6500, "+1312", "73.44", 0.03),
    Geo(".gb", "London", "England", "EC1A", "Europe/London", 51.5085, -0.1257, "+44770", "81.2", 0.03),
    Geo(".li", "Vaduz", "Vaduz", "9490", "Europe/Vaduz", 47.1415, 9.5215, "+42379", "185.117", 0.01),
    Geo(".cy", "Limassol", "Limassol", "3010", "Asia/Nicosia", 34.6841, 33.0379, "+35799", "82.102", 0.01),
    Geo(".rs", "Belgrade", "Central Serbia", "11000", "Europe/Belgrade", 44.8040, 20.4651, "+38164", "109.92", 0.02),
)  # fmt: skip


class Agent(NamedTuple):
    user_agent: str
    os: str
    browser: str
    device: str
    weight: float


WEB_AGENTS = (
    Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Safari/537.36", "Windows 10", "Chrome 141.0", "web", 0.22),
    Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:143.0) Gecko/20100101 Firefox/143.0", "Windows 10", "Firefox 143.0", "web", 0.05),
    Agent("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 YaBrowser/25.8.0.0 Safari/537.36", "Windows 10", "Yandex Browser 25.8", "web", 0.08),
    Agent("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Safari/605.1.15", "Mac OS X 10.15.7", "Safari 18.6", "web", 0.07),
    Agent("Mozilla/5.0 (X11; Linux x86_64; rv:59.0) Gecko/20100101 Firefox/59.0", "Linux x86_64", "Firefox 59.0", "web", 0.02),
    Agent("Mozilla/5.0 (iPhone; CPU iPhone OS 18_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.6 Mobile/15E148 Safari/604.1", "iOS 18.6", "Mobile Safari 18.6", "mobile", 0.18),
    Agent("Mozilla/5.0 (Linux; Android 14; SM-A546B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/141.0.0.0 Mobile Safari/537.36", "Android 14", "Chrome Mobile 141.0", "mobile", 0.20),
    Agent("Mozilla/5.0 (Linux; Android 13; Redmi Note 12) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/139.0.0.0 Mobile Safari/537.36", "Android 13", "Chrome Mobile 139.0", "mobile", 0.08),
    Agent("Mozilla/5.0 (iPad; CPU OS 17_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.7 Mobile/15E148 Safari/604.1", "iOS 17.7", "Mobile Safari 17.7", "tablet", 0.04),
    Agent("Mozilla/5.0 (iPhone; CPU iPhone OS 18_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148", "iOS 18.5", "Apple Mail", "mobile", 0.06),
)  # fmt: skip

APP_AGENTS = (
    Agent("okhttp/4.12.0", "Android 14", "", "mobile", 0.5),
    Agent("NorthwindApp/5.12.1 (iPhone; iOS 18.6; Scale/3.00)", "iOS 18.6", "", "mobile", 0.35),
    Agent("NorthwindApp/5.12.0 (Linux; Android 13)", "Android 13", "", "mobile", 0.15),
)  # fmt: skip

PROXY_AGENT = Agent(
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "Windows XP", "Firefox 11.0", "web", 0.0,
)  # fmt: skip
PROXY_IP_PREFIX = "66.249.84"

PUSH_PROVIDERS = (
    ("androidfirebase", 0.55),
    ("iosfirebase", 0.15),
    ("iosapns", 0.25),
    ("huawei", 0.05),
)

CAMPAIGN_TOPICS = (
    "Weekly digest", "Autumn sale", "New arrivals", "Loyalty bonus", "Cart reminder",
    "Back in stock", "Flash sale", "Birthday greetings", "Season opening", "Price drop",
    "Win-back", "Product review request", "Black Friday preview", "Members only", "Newsletter",
)  # fmt: skip

TRIGGER_TOPICS = ("Welcome series", "Abandoned cart", "Order status", "Browse abandonment")

LINK_PATHS = (
    "/catalog/sale", "/catalog/new", "/promo/{c}", "/account/bonus", "/cart", "/blog/{c}-tips",
    "/catalog/top", "/stores", "/app", "/survey/{c}",
)  # fmt: skip

POPUP_NAMES = ("Subscribe 10% off", "Exit intent", "Cookie notice", "Survey NPS", "Spin the wheel")
POPUP_ELEMENTS = ("cta_button", "coupon_copy", "image", "link_rules", "checkbox_terms")
POPUP_ERRORS = (
    "invalid email format", "required field is empty: phone", "captcha failed",
    "script load timeout",
)  # fmt: skip
POPUP_CUSTOM = ("wheel_spin", "video_play", "quiz_step_2", "share_click")

LOYALTY_LEVELS = ("Bronze", "Silver", "Gold", "Platinum")

PIXEL_GOALS = (
    ("page_view", 0.55), ("add_to_cart", 0.18), ("purchase", 0.1), ("signup", 0.05),
    ("wishlist", 0.07), ("search", 0.05),
)  # fmt: skip

CAMPAIGN_ERRORS = (
    ("template", 'template: message:12:18: executing "message" at <.profile.first_name>: '
     "map has no entry for key \"first_name\""),
    ("template", "template: subject:1: unexpected \"}\" in operand"),
    ("limit", "sending limit exceeded for resource"),
    ("gateway", "sms gateway returned 503 Service Unavailable"),
    ("content", "message content is empty after rendering"),
)  # fmt: skip

LAUNCH_ERRORS = (
    ("segment", "segment calculation timed out"),
    ("sender", "sender address is not verified for this resource"),
    ("quota", "daily quota for the account is exhausted"),
)  # fmt: skip

BOUNCE_TEXT = {
    "soft": ("421 4.7.0 Try again later", "452 4.2.2 Mailbox full", "450 4.7.1 Greylisted"),
    "hard": ("550 5.1.1 User unknown", "550 5.1.1 Mailbox does not exist",
             "554 5.7.1 Rejected by policy"),
    "push_soft": ("UNAVAILABLE", "INTERNAL", "QUOTA_EXCEEDED"),
    "push_hard": ("UNREGISTERED", "INVALID_ARGUMENT", "BadDeviceToken"),
}  # fmt: skip
