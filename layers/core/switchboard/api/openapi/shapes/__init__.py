"""Response shapes for the document: compact pydantic models of what the routes answer.

`openai.py` holds OpenAI's objects as we return them (the project describes them itself,
without OpenAI's spec); `own.py` the objects of Switchboard's own routes. They describe
answers and validate nothing at run time: the routes build their bodies in api/schemas/.
Fields are the ones every answer carries; more may appear (additionalProperties is open).
"""
