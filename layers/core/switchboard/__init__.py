"""Switchboard: an OpenAI-compatible AI API platform on AWS Lambda."""
