"""``pystorm.serializers``: the codecs under pystorm's names.

pystorm's serializers took ``(input_stream, output_stream, reader_lock, writer_lock)``
and had ``read_message``/``send_message``; these wrappers keep that shape over
stormbridge's codecs (locks are accepted and ignored: the codecs lock themselves).
"""

from .json_serializer import JSONSerializer
from .msgpack_serializer import MsgpackSerializer
from .serializer import Serializer

__all__ = ["JSONSerializer", "MsgpackSerializer", "Serializer"]
