"""Pydantic models of the Gloo API's requests and responses, one subpackage per API area."""
