"""target-enrow-phone: submits incoming leads as Enrow bulk phone searches."""

from __future__ import annotations

import sys
import typing as t

from singer_sdk import Target
from singer_sdk.helpers.capabilities import PluginCapabilities

from tap_enrow_phone.client import EnrowClient, RetryPolicy
from tap_enrow_phone.errors import explained_in_one_line
from target_enrow_phone.ledger import Ledger
from target_enrow_phone.progress import Progress
from target_enrow_phone.settings import SETTINGS, check_settings
from target_enrow_phone.sinks import LeadsSink
from target_enrow_phone.submitter import Submitter

if sys.version_info >= (3, 12):
    from typing import override
else:
    from typing_extensions import override

if t.TYPE_CHECKING:
    from singer_sdk.helpers.capabilities import CapabilitiesEnum


class TargetEnrowPhone(Target):
    """Turns records with a LinkedIn URL, or names and a company, into bulk phone searches."""

    name = "target-enrow-phone"
    # Shipped in the tap's distribution: its version is the target's.
    package_name = "tap-enrow-phone"
    config_jsonschema = SETTINGS.to_dict()
    default_sink_class = LeadsSink
    capabilities: t.ClassVar[list[CapabilitiesEnum]] = [
        PluginCapabilities.ABOUT,
        PluginCapabilities.STREAM_MAPS,
        PluginCapabilities.STRUCTURED_LOGGING,
    ]

    def __init__(self, *args: t.Any, **kwargs: t.Any) -> None:  # noqa: ANN401 - the SDK's
        """Check the settings and lock the ledger before the first record is read."""
        super().__init__(*args, **kwargs)
        # One sink drains at a time: submissions, the ledger and the ids file are serial.
        self.max_parallelism = 1
        self.settings = check_settings(self.config)
        self.client = EnrowClient(
            api_key=self.settings.api_key,
            api_url=self.settings.api_url,
            timeout=self.settings.request_timeout,
            retry_policy=RetryPolicy(
                max_retries=self.settings.max_retries, max_wait=self.settings.retry_max_wait
            ),
            user_agent=f"target-enrow-phone/{self.plugin_version}",
            pool_size=1,
        )
        self.ledger = Ledger(self.settings.ledger_path)
        self.submitter = Submitter(
            settings=self.settings,
            client=self.client,
            ledger=self.ledger,
            progress=Progress(self.logger, self.settings.progress_interval),
            logger=self.logger,
        )
        self.submitter.start()

    @override
    def process_endofpipe(self) -> None:
        # Every batch is submitted and handed off (and the STATE written) first.
        super().process_endofpipe()
        self.submitter.finish()

    @override
    def _process_state_message(self, message_dict: dict[str, t.Any]) -> None:
        # No public hook decides which STATE is acknowledged. A dry run acknowledges
        # nothing; once max_searches_per_run held records back, later STATEs would
        # acknowledge them, so the last STATE before that stays the one emitted.
        if self.settings.dry_run or self.submitter.over_limit:
            return
        super()._process_state_message(message_dict)

    @classmethod
    @override
    def invoke(cls, *args: t.Any, **kwargs: t.Any) -> None:
        explained_in_one_line(
            cls.logger, lambda: super(TargetEnrowPhone, cls).invoke(*args, **kwargs)
        )


if __name__ == "__main__":
    TargetEnrowPhone.cli()
