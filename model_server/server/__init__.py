"""A local stand-in for an Azure ML managed online endpoint serving one scoring script.

Laid out like azureml-inference-server-http's `server` package, in two layers as in Azure:
- the *container*: what azureml-inference-server-http 1.5.1 does with an undecorated
  `run(raw_data)` script (routes, `init()`/`run()` contract, JSON serialisation, `x-ms-*`
  headers, error bodies, swagger), checked against Microsoft's server by
  tests/contract/test_azureml_parity.py;
- the *endpoint front end*: the Bearer key check and, with `EndpointSettings` (the
  `--endpoint-mode` flag), what a managed online endpoint adds: any non-200 from the container
  becomes 424 with `ms-azureml-model-error-*` headers, `request_timeout_ms` gives 408, and more
  than 2 x `max_concurrent_requests_per_instance` requests pending gives 429.

`app.create_app` composes the modules: `config` (environment and limits), `user_script`
(hosting the script), `input_parsers` (request to `raw_data`), `container` (one `/score` call),
`endpoint` (the front end), `auth`, `request_ids`, `swagger` (from the `*_template.json` files),
`responses` and `routes`.
"""
