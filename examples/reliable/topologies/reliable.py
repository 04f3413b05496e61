"""Ids from a reliable spout, through a transform bolt, recorded by a sink: at-least-once."""

from bolts.record import RecordBolt
from bolts.transform import TransformBolt
from spouts.ids import IdSpout

from streamparse import Grouping, Topology


class Reliable(Topology):
    id_spout = IdSpout.spec(par=1)
    transform_bolt = TransformBolt.spec(inputs={id_spout: Grouping.SHUFFLE}, par=2)
    record_bolt = RecordBolt.spec(inputs={transform_bolt: Grouping.fields("id")}, par=2)
