"""The hive's contracts: the topic catalogue and Avro serde in the Confluent wire format."""

from hive.contracts.catalogue import Catalogue, TopicSpec, load_catalogue
from hive.contracts.serde import AvroCodec, CodecRegistry, SerdeError

__all__ = ["AvroCodec", "Catalogue", "CodecRegistry", "SerdeError", "TopicSpec", "load_catalogue"]
