"""Actions for tests/test_action_server.py: one that fails with what the person typed in its error."""

from rasa_sdk import Action


class ActionThatFails(Action):
    def name(self) -> str:
        return "action_that_fails"

    async def run(self, dispatcher, tracker, domain):
        raise ValueError(f"could not read {tracker.latest_message.get('text')!r}")


class ActionThatWorks(Action):
    def name(self) -> str:
        return "action_that_works"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text="fine")
        return []
