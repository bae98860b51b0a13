"""The demo organisation's identities: people, services, agents and API keys, and the keys nobody registered."""

from __future__ import annotations

from dataclasses import dataclass, field

# ------------------------------------------------------------------------------------------- identities


@dataclass
class AccessKey:
    key_id: str
    created: int
    """Epoch seconds of creation / last rotation."""
    active: bool
    static: bool
    """Long-lived: never rotated for more than a year."""


@dataclass
class Identity:
    id: str
    kind: str
    name: str
    owner_team: str
    created: int
    email: str = ""
    ai_system_id: str = ""
    status: str = "active"
    retired: int | None = None
    aws_iam_user: str = ""
    okta_login: str = ""
    okta_id: str = ""
    github_login: str = ""
    github_id: int = 0
    mfa: bool = False
    password: bool = False
    aws_keys: list[AccessKey] = field(default_factory=list)
    litellm_key: str = ""
    litellm_alias: str = ""
    openai_key_id: str = ""
    openai_user_id: str = ""
    github_tokens: list[str] = field(default_factory=list)
    secret_arns: list[str] = field(default_factory=list)
    other_refs: list[str] = field(default_factory=list)
    ip: str = ""

    @property
    def is_human(self) -> bool:
        return self.kind == "human"

    @property
    def login(self) -> str:
        """The subject a policy engine sees: the Okta login for people, the identity key otherwise."""
        return self.okta_login if self.is_human else self.id

    def api_key_refs(self) -> list[str]:
        refs = [k.key_id for k in self.aws_keys]
        for r in (self.litellm_key, self.openai_key_id, self.openai_user_id):
            if r:
                refs.append(r)
        return refs + self.github_tokens + self.secret_arns + self.other_refs


@dataclass
class UnknownKey:
    """A usage key present in no IAM source and no inventory (the deliberate attribution gap)."""

    channel: str
    key: str
    system_id: str
    rate: float


FIRST_NAMES = [
    "Avery",
    "Quinn",
    "Jordan",
    "Taylor",
    "Morgan",
    "Riley",
    "Casey",
    "Jamie",
    "Rowan",
    "Skyler",
    "Reese",
    "Emerson",
    "Finley",
    "Harper",
    "Parker",
    "Sawyer",
    "Dakota",
    "Hayden",
    "Kendall",
    "Logan",
    "Micah",
    "Noel",
    "Oakley",
    "Peyton",
    "Remy",
    "Sage",
    "Shiloh",
    "Tatum",
    "Toby",
    "Wren",
    "Alexis",
    "Blair",
    "Cameron",
    "Devon",
    "Elliot",
    "Frankie",
    "Gray",
    "Hollis",
    "Indigo",
    "Jules",
    "Kai",
    "Lane",
    "Marlow",
    "Nico",
    "Onyx",
    "Perry",
    "Quincy",
    "Robin",
    "Sasha",
    "Teagan",
    "Umi",
    "Val",
    "Winter",
    "Xen",
    "Yael",
    "Zion",
    "Arden",
    "Bellamy",
    "Corin",
    "Darcy",
    "Ellis",
    "Fallon",
    "Greer",
    "Haven",
    "Ira",
    "Jesse",
    "Kit",
    "Linden",
    "Merritt",
    "Nova",
    "Ocean",
    "Presley",
    "Rory",
    "Salem",
    "Tristan",
    "Uri",
    "Vesper",
    "Wynn",
    "Ash",
    "Briar",
    "Cody",
    "Drew",
    "Eden",
    "Flynn",
    "Gale",
    "Hunter",
    "Jody",
    "Kerry",
    "Lee",
    "Marion",
    "Nat",
    "Ollie",
    "Pat",
    "Ray",
    "Shay",
    "Terry",
]
LAST_NAMES = [
    "Quinn",
    "Abbott",
    "Barker",
    "Calloway",
    "Dalton",
    "Ellison",
    "Fairbanks",
    "Garner",
    "Holloway",
    "Irving",
    "Jennings",
    "Keller",
    "Lambert",
    "Mercer",
    "Norwood",
    "Ocampo",
    "Pryor",
    "Rendell",
    "Sutter",
    "Thorne",
    "Underhill",
    "Vance",
    "Whitlock",
    "Yardley",
    "Zeller",
    "Ashford",
    "Blackwood",
    "Carver",
    "Draper",
    "Easton",
    "Fletcher",
    "Granger",
    "Hastings",
    "Ingram",
    "Judd",
    "Kingsley",
    "Lowell",
    "Marsh",
    "Nash",
    "Osborne",
    "Pemberton",
    "Radcliffe",
    "Sterling",
    "Tanner",
    "Upton",
    "Vickers",
    "Walsh",
    "Yates",
    "Archer",
    "Bishop",
    "Crane",
    "Dorsey",
    "Everett",
    "Fox",
    "Gilmore",
    "Hale",
    "Ives",
    "Jarvis",
    "Knox",
    "Lyle",
    "Monroe",
    "Noble",
    "Oakes",
    "Pike",
    "Reyes",
    "Shaw",
    "Temple",
    "Vale",
    "Webb",
    "Alder",
    "Brook",
    "Cole",
    "Dane",
    "Ferris",
    "Gentry",
    "Hart",
    "Irwin",
    "Kemp",
    "Lark",
    "Moss",
    "Nye",
    "Orr",
    "Price",
    "Rhodes",
    "Sloan",
    "Tate",
    "Voss",
    "Ward",
    "Young",
    "Baird",
    "Cross",
    "Dunn",
    "Frost",
    "Hayes",
    "Lang",
]

PURPOSES = (
    "etl",
    "deployer",
    "backup",
    "metrics",
    "batch",
    "sync",
    "api",
    "cron",
    "ingest",
    "notifier",
    "reporting",
    "scheduler",
)
REGIONS = ("us-east-1", "eu-west-1", "us-west-2")
