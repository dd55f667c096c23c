"""Framework-free core of the pre-screening assistant.

Nothing in this package imports rasa or rasa_sdk: everything that decides
eligibility can be tested with plain pytest.
"""
