"""One module per attestation member: each builds its member (`build*(inputs, body)`) and checks it (`doc -> problems`).

A build step reads the builder's `Inputs` (reserves/attestation/builder.py) and fills its keys of
the partial body, in the order the format's row lists the steps (reserves/attestation/formats.py).
A check takes a schema-valid document and returns its problems, [] when it is consistent.
"""
