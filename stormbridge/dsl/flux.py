"""A topology as a Flux definition (``to_flux_dict``), in streamparse's shape (pure).

Shell components use Flux's ``FluxShellSpout``/``FluxShellBolt`` wrappers with
``constructorArgs = [[command, script], default_output_fields]``; other streams become
``setNamedStream`` config methods and the component config ``addComponentConfig``
calls. Python components are written as ``["streamparse_run", "module.Class"]`` (the
console script stormbridge installs), or, with ``python=...``, as the same
``[python, boot script]`` pair :func:`~stormbridge.dsl.compile.compile_topology` uses.
"""

from __future__ import annotations

from typing import Any

from ..errors import TopologyTypeError
from .boot import boot_script_path
from .specs import ComponentSpec, JavaComponentSpec, ShellComponentSpec, resolve_par
from .stream import GlobalStreamId, StreamGrouping

__all__ = ["topology_to_flux_dict"]

_SHELL_CLASSES = {
    "spout": "org.apache.storm.flux.wrappers.spouts.FluxShellSpout",
    "bolt": "org.apache.storm.flux.wrappers.bolts.FluxShellBolt",
}
_PLACEHOLDER_FIELDS = ["NONE_BUT_FLUX_WANTS_SOMETHING_HERE"]


def _shell_argv(spec: ShellComponentSpec, python: str | None) -> list[str]:
    if spec.class_path is None:
        return [spec.command or "", spec.script or ""]
    if python is None:
        return ["streamparse_run", spec.class_path]
    return [python, boot_script_path(spec.class_path)]


def _spec_to_flux(spec: ComponentSpec, env_name: str | None, python: str | None) -> dict[str, Any]:
    name = spec.name or ""
    flux: dict[str, Any] = {"id": name, "constructorArgs": []}
    if isinstance(spec, ShellComponentSpec):
        flux["className"] = _SHELL_CLASSES[spec.role or "bolt"]
        flux["constructorArgs"].append(_shell_argv(spec, python))
        default = spec.outputs.get("default")
        flux["constructorArgs"].append(default.fields if default else _PLACEHOLDER_FIELDS)
        methods: list[dict[str, Any]] = [
            {"name": "setNamedStream", "args": [stream_name, stream.fields]}
            for stream_name, stream in spec.outputs.items()
            if stream_name != "default"
        ]
        methods += [
            {"name": "addComponentConfig", "args": [key, value]}
            for key, value in spec.config.items()
        ]
        flux["configMethods"] = methods
        flux["parallelism"] = resolve_par(spec.par, env_name, name)
    elif isinstance(spec, JavaComponentSpec):
        if spec.java_object is None:
            raise TopologyTypeError(
                f"Flux does not support specifying serialized Java objects. Given: {spec!r}; "
                "use full_class_name and args_list instead"
            )
        flux["className"] = spec.java_object.full_class_name
        flux["constructorArgs"] = spec.java_object.args_list
        flux["parallelism"] = resolve_par(spec.par, env_name, name)
    else:
        raise TopologyTypeError(f"Specifications should either be bolts or spouts. Given: {spec!r}")
    return flux


def _stream_to_flux(
    target: str, stream_id: GlobalStreamId, grouping: StreamGrouping
) -> dict[str, Any]:
    source = stream_id.componentId
    source_name = source if isinstance(source, str) else source.name
    group: dict[str, Any] = {"streamId": stream_id.streamId, "type": grouping.kind.upper()}
    if grouping.kind == "fields":
        if grouping.field_names:
            group["args"] = list(grouping.field_names)
        else:
            group["type"] = "GLOBAL"
    elif grouping.kind == "custom_object":
        assert grouping.java_object is not None
        group["type"] = "CUSTOM"
        group["customClass"] = {
            "className": grouping.java_object.full_class_name,
            "constructorArgs": grouping.java_object.args_list,
        }
    elif grouping.kind == "custom_serialized":
        raise TopologyTypeError(
            f"Flux cannot express a custom_serialized grouping (stream {stream_id!r} into "
            f"{target!r}); use Grouping.custom_object(class_name, args) instead"
        )
    return {"from": source_name, "to": target, "grouping": group}


def topology_to_flux_dict(
    topology_cls: type, name: str, *, env_name: str | None = None, python: str | None = None
) -> dict[str, Any]:
    """``{"name", "spouts", "bolts", "streams"}`` with empty lists left out."""
    flux: dict[str, Any] = {"name": name, "bolts": [], "spouts": [], "streams": []}
    specs: list[ComponentSpec] = topology_cls.__dict__.get("specs", [])
    for spec in specs:
        if spec.is_bolt:
            flux["bolts"].append(_spec_to_flux(spec, env_name, python))
            for stream_id, grouping in spec.inputs.items():
                flux["streams"].append(_stream_to_flux(spec.name or "", stream_id, grouping))
        else:
            flux["spouts"].append(_spec_to_flux(spec, env_name, python))
    return {key: value for key, value in flux.items() if value}
