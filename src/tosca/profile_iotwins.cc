// The iotwins profile: the node, capability, relationship and policy types a computing
// chain on the IoT -> Edge -> Cloud continuum is written with. Importable by name
// (`imports: [iotwins]`); documented in docs/tosca.md.
#include "tosca/profiles.h"

namespace iotwins::tosca {

std::string_view iotwins_profile_yaml() {
  return R"yaml(
tosca_definitions_version: tosca_simple_yaml_1_3
description: iotwins profile 1.0 - computing chains placed on IoT, edge and cloud machines
metadata:
  template_name: iotwins
  template_version: "1.0"

data_types:
  iotwins.datatypes.Level:
    derived_from: string
    constraints:
      - valid_values: [iot, edge, cloud]
  iotwins.datatypes.Resources:
    derived_from: tosca.datatypes.Root
    description: What a task asks of its host.
    properties:
      cpu: {type: float, required: false, default: 0.1, constraints: [{greater_than: 0}]}
      memory: {type: scalar-unit.size, required: false, default: 64 MiB, constraints: [{greater_than: 0 B}]}
      gpu: {type: integer, required: false, default: 0, constraints: [{greater_or_equal: 0}]}

artifact_types:
  iotwins.artifacts.Executable:
    derived_from: tosca.artifacts.Implementation
    description: A program the agent runs as a process (or in a sandbox).
  iotwins.artifacts.Image:
    derived_from: tosca.artifacts.Deployment.Image
    description: An OCI container image reference (registry/name:tag or @sha256).
  iotwins.artifacts.Model:
    derived_from: tosca.artifacts.File
    description: A trained model file from the model registry.

capability_types:
  iotwins.capabilities.Host:
    derived_from: tosca.capabilities.Compute
    description: A machine's resources offered to tasks.
    properties:
      cpu: {type: float, required: false, constraints: [{greater_than: 0}]}
      memory: {type: scalar-unit.size, required: false, constraints: [{greater_than: 0 B}]}
      gpu: {type: integer, required: false, default: 0, constraints: [{greater_or_equal: 0}]}
      arch: {type: string, required: false, constraints: [{valid_values: [x86_64, aarch64, armv7l, riscv64]}]}
  iotwins.capabilities.StreamSink:
    derived_from: tosca.capabilities.Node
    description: Accepts a data stream from another task.
    properties:
      format: {type: string, required: false, default: json, constraints: [{valid_values: [json, binary]}]}
  iotwins.capabilities.MQTT:
    derived_from: tosca.capabilities.Endpoint
    properties:
      protocol: {type: string, default: mqtt}
      port: {type: tosca.datatypes.network.PortDef, default: 1883}
  iotwins.capabilities.TimeSeries:
    derived_from: tosca.capabilities.Endpoint
    properties:
      protocol: {type: string, default: http}
  iotwins.capabilities.Twin:
    derived_from: tosca.capabilities.Node
    description: A digital twin a task reads from or writes to.

relationship_types:
  iotwins.relationships.StreamsTo:
    derived_from: tosca.relationships.DependsOn
    description: Data pipelining - the source task streams its output to the target task.
    valid_target_types: [iotwins.capabilities.StreamSink]
    properties:
      topic: {type: string, required: false}
      qos: {type: integer, required: false, default: 1, constraints: [{valid_values: [0, 1, 2]}]}

node_types:
  iotwins.nodes.Compute:
    derived_from: tosca.nodes.Compute
    description: A machine registered with iotwins (an agent) at one level of the continuum.
    properties:
      level: {type: iotwins.datatypes.Level}
      labels: {type: map, required: false, entry_schema: {type: string}}
    capabilities:
      host:
        type: iotwins.capabilities.Host
        valid_source_types: [tosca.nodes.SoftwareComponent, iotwins.nodes.Task]
  iotwins.nodes.Task:
    derived_from: tosca.nodes.Root
    description: A unit of a computing chain that runs on one machine.
    properties:
      resources: {type: iotwins.datatypes.Resources, required: false}
      command: {type: list, required: false, entry_schema: {type: string}}
      env: {type: map, required: false, entry_schema: {type: string}}
      replicas: {type: integer, required: false, default: 1, constraints: [{greater_or_equal: 1}]}
    attributes:
      endpoint: {type: string}
      pid: {type: integer}
    capabilities:
      input: {type: iotwins.capabilities.StreamSink, occurrences: [0, UNBOUNDED]}
    requirements:
      - host:
          capability: iotwins.capabilities.Host
          node: iotwins.nodes.Compute
          relationship: tosca.relationships.HostedOn
      - output:
          capability: iotwins.capabilities.StreamSink
          relationship: iotwins.relationships.StreamsTo
          occurrences: [0, UNBOUNDED]
      - broker:
          capability: iotwins.capabilities.MQTT
          node: iotwins.nodes.Service.MQTTBroker
          relationship: tosca.relationships.ConnectsTo
          occurrences: [0, 1]
      - store:
          capability: iotwins.capabilities.TimeSeries
          node: iotwins.nodes.Service.TimeSeriesStore
          relationship: tosca.relationships.ConnectsTo
          occurrences: [0, 1]
      - twin:
          capability: iotwins.capabilities.Twin
          node: iotwins.nodes.Twin
          relationship: tosca.relationships.DependsOn
          occurrences: [0, UNBOUNDED]
  iotwins.nodes.Task.DataFilter:
    derived_from: iotwins.nodes.Task
    description: Filters, downsamples or aggregates a stream near the devices.
    properties:
      expression: {type: string, constraints: [{min_length: 1}]}
      window: {type: scalar-unit.time, required: false, constraints: [{greater_than: 0 s}]}
      topic: {type: string, required: false}
  iotwins.nodes.Task.Inference:
    derived_from: iotwins.nodes.Task
    description: Runs a trained model on a stream.
    properties:
      model: {type: string, constraints: [{min_length: 1}]}
      model_version: {type: string, required: false}
      inputs: {type: list, required: false, entry_schema: {type: string}}
      threshold: {type: float, required: false}
  iotwins.nodes.Task.Training:
    derived_from: iotwins.nodes.Task
    description: Trains a model from stored series and publishes it to the model registry.
    properties:
      model: {type: string, constraints: [{min_length: 1}]}
      dataset: {type: string, required: false}
      history: {type: scalar-unit.time, required: false, constraints: [{greater_than: 0 s}]}
      properties: {type: list, required: false, entry_schema: {type: string}}
      epochs: {type: integer, required: false, constraints: [{greater_or_equal: 1}]}
  iotwins.nodes.Task.Simulation:
    derived_from: iotwins.nodes.Task
    description: Runs a simulation model of an asset.
    properties:
      model: {type: string, constraints: [{min_length: 1}]}
      horizon: {type: scalar-unit.time, required: false, constraints: [{greater_than: 0 s}]}
      step: {type: scalar-unit.time, required: false, constraints: [{greater_than: 0 s}]}
  iotwins.nodes.Task.Custom:
    derived_from: iotwins.nodes.Task
    description: A user program; needs an iotwins.artifacts.Executable or iotwins.artifacts.Image artifact.
    properties:
      args: {type: list, required: false, entry_schema: {type: string}}
  iotwins.nodes.Service.MQTTBroker:
    derived_from: tosca.nodes.SoftwareComponent
    description: An MQTT broker (Mosquitto, supervised by the agent, or an existing one).
    properties:
      port: {type: tosca.datatypes.network.PortDef, required: false, default: 1883}
      max_queued_messages: {type: integer, required: false, default: 1000, constraints: [{greater_or_equal: 0}]}
      url: {type: string, required: false}
    capabilities:
      broker: {type: iotwins.capabilities.MQTT}
  iotwins.nodes.Service.TimeSeriesStore:
    derived_from: tosca.nodes.SoftwareComponent
    description: A time-series store (the built-in engine, or an external sink).
    properties:
      retention: {type: scalar-unit.time, required: false, constraints: [{greater_than: 0 s}]}
      engine: {type: string, required: false, default: builtin, constraints: [{valid_values: [builtin, postgresql, influxdb]}]}
    capabilities:
      store: {type: iotwins.capabilities.TimeSeries}
  iotwins.nodes.Twin:
    derived_from: tosca.nodes.Root
    description: A digital twin of an asset, kept by the platform.
    properties:
      twin_id: {type: string, constraints: [{min_length: 1}]}
      model: {type: string, required: false}
      level: {type: iotwins.datatypes.Level, required: false}
    capabilities:
      twin: {type: iotwins.capabilities.Twin}

policy_types:
  iotwins.policies.Placement:
    derived_from: tosca.policies.Placement
    description: Where the targeted tasks may run.
    properties:
      level: {type: iotwins.datatypes.Level, required: false}
      labels: {type: map, required: false, entry_schema: {type: string}}
      near: {type: string, required: false, description: A Twin or TimeSeriesStore node template to run close to.}
    targets: [iotwins.nodes.Task]
  iotwins.policies.QoS:
    derived_from: tosca.policies.Root
    description: How the targeted tasks are kept running.
    properties:
      restart: {type: string, required: false, default: on_failure, constraints: [{valid_values: [always, on_failure, never]}]}
      max_restarts: {type: integer, required: false, constraints: [{greater_or_equal: 0}]}
      latency_bound: {type: scalar-unit.time, required: false, constraints: [{greater_than: 0 s}]}
    targets: [iotwins.nodes.Task]
  iotwins.policies.Scaling:
    derived_from: tosca.policies.Scaling
    description: How many replicas of the targeted tasks run.
    properties:
      min_instances: {type: integer, default: 1, constraints: [{greater_or_equal: 0}]}
      max_instances: {type: integer, default: 1, constraints: [{greater_or_equal: 1}]}
      default_instances: {type: integer, required: false}
      metric: {type: string, required: false}
      target_value: {type: float, required: false}
    targets: [iotwins.nodes.Task]
)yaml";
}

}  // namespace iotwins::tosca
