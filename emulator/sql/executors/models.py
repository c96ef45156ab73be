"""CREATE, ALTER, DROP, DESCRIBE and SHOW CREATE MODEL: models with versions, as Confluent's."""

from __future__ import annotations

from emulator.catalog import Model, ModelVersion
from emulator.dialect.catalog_statements import AlterOptions, Describe, Drop, ShowCreate
from emulator.dialect.secrets import mask_options
from emulator.dialect.statements import CreateModel
from emulator.dialect.text import DialectError, quote_identifier
from emulator.sql import predict
from emulator.sql.context import Context
from emulator.sql.result import StatementResult

MAX_MODEL_VERSIONS = 10


def model_and_version(context: Context, reference: str) -> tuple[Model, str | None]:
    """`name` or `name$version` (or `name$all`) to the model and the version asked for."""
    name, _, version = reference.partition("$")
    if name not in context.catalog.models:
        raise DialectError(f"Model '{name}' does not exist. SHOW MODELS lists the models.")
    return context.catalog.models[name], version or None


def create_model(context: Context, statement: CreateModel, _name: str) -> StatementResult:
    provider = statement.options.get("provider", "").lower()
    if provider != "azureml":
        raise DialectError(
            f"provider {provider or '(none)'!r}: the emulator hosts Azure ML endpoints only; "
            "use 'provider' = 'azureml'"
        )
    if "task" not in statement.options:
        raise DialectError("CREATE MODEL needs 'task' (e.g. 'classification')")
    model = context.catalog.models.get(statement.name)
    if model is not None and statement.if_not_exists:
        return StatementResult("CREATE MODEL", "exists already; skipped")
    if model is None:
        model = Model(statement.name)
    version = max((v.version for v in model.versions), default=0) + 1
    if version > MAX_MODEL_VERSIONS:
        raise DialectError(f"model `{statement.name}` has {MAX_MODEL_VERSIONS} versions")
    entry = ModelVersion(
        statement.name,
        version,
        statement.inputs,
        statement.outputs,
        statement.options,
        statement.comment,
    )
    if model.versions and (
        model.versions[0].inputs != entry.inputs or model.versions[0].outputs != entry.outputs
    ):
        raise DialectError(
            f"a new version of `{statement.name}` must keep its INPUT and OUTPUT; "
            "only the WITH options change between versions"
        )
    # Refuse an unusable endpoint, format or input type now, not on the first row.
    predict.endpoint_for(context.catalog, entry)
    predict.codec_for(entry)
    model.versions.append(entry)
    context.catalog.models[statement.name] = model
    context.catalog.save()
    return StatementResult(
        "CREATE MODEL",
        f"`{statement.name}` with version {version} created. "
        f"Default version: {model.default_version}",
    )


def alter_model(context: Context, statement: AlterOptions, _name: str) -> StatementResult:
    model, version = model_and_version(context, statement.name)
    options = dict(statement.options)
    if "default_version" in options:
        wanted = options.pop("default_version")
        model.default_version = model.get(wanted).version  # refuses a version that is not there
    if options:
        entry = model.get(version)
        entry.options.update({k.lower(): v for k, v in options.items()})
    context.catalog.save()
    return StatementResult(
        "ALTER MODEL", f"model `{model.name}` altered; default version: {model.default_version}"
    )


def drop_model(context: Context, statement: Drop, _name: str) -> StatementResult:
    name = statement.name.partition("$")[0]
    if name not in context.catalog.models and statement.if_exists:
        return StatementResult("DROP MODEL", f"model `{name}` does not exist; nothing dropped")
    model, version = model_and_version(context, statement.name)
    catalog = context.catalog
    if version == "all":
        del catalog.models[model.name]
        catalog.save()
        return StatementResult("DROP MODEL", f"model `{model.name}` dropped with all its versions")
    entry = model.get(version)  # no version: the default version, as on Confluent
    model.versions.remove(entry)
    if not model.versions:
        del catalog.models[model.name]
        catalog.save()
        return StatementResult("DROP MODEL", f"model `{model.name}` dropped (its last version)")
    if entry.version == model.default_version:
        model.default_version = min(v.version for v in model.versions)
    catalog.save()
    return StatementResult(
        "DROP MODEL",
        f"version {entry.version} of model `{model.name}` dropped; "
        f"default version: {model.default_version}",
    )


def describe_model(context: Context, statement: Describe, _name: str) -> StatementResult:
    model, version = model_and_version(context, statement.name)
    versions = model.versions if version in (None, "all") else [model.get(version)]
    rows = []
    for entry in versions:
        for role, columns in (("input", entry.inputs), ("output", entry.outputs)):
            for column in columns:
                rows.append(
                    (
                        str(entry.version),
                        entry.version == model.default_version,
                        role,
                        column.name,
                        column.type,
                    )
                )
    return StatementResult(
        "DESCRIBE MODEL",
        f"model `{model.name}`: {len(model.versions)} version(s), default {model.default_version}",
        columns=["VersionId", "IsDefaultVersion", "Role", "Column Name", "Data Type"],
        rows=rows,
    )


def create_model_text(model: Model, version: str | None = None) -> str:
    """The model version's CREATE MODEL statement, secrets masked."""
    entry = model.get(version)

    def columns(cols) -> str:
        return ",\n".join(f"  {c.sql()}" for c in cols)

    options = mask_options(dict(sorted(entry.options.items())))
    text = f"CREATE MODEL {quote_identifier(model.name)}\n"
    text += f"INPUT (\n{columns(entry.inputs)}\n)\nOUTPUT (\n{columns(entry.outputs)}\n)\n"
    if entry.comment:
        text += "COMMENT '" + entry.comment.replace("'", "''") + "'\n"
    with_clause = ",\n".join(f"  '{k}' = '{v}'" for k, v in options.items())
    return text + f"WITH (\n{with_clause}\n)"


def show_create_model(context: Context, statement: ShowCreate, _name: str) -> StatementResult:
    model, version = model_and_version(context, statement.name)
    text = create_model_text(model, version)
    return StatementResult("SHOW CREATE MODEL", text, columns=["SHOW CREATE"], rows=[(text,)])
