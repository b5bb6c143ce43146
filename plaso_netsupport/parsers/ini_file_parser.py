"""Base of our parsers of NetSupport's INI-style files.

plaso selects these parsers by file name only (client32.ini, NSM.LIC). The
base reads a bounded prefix of the file, lets the subclass decide whether it
is the format its name promises, and places the result in the timeline at the
file's own modification and creation times.
"""

from plaso.lib import errors
from plaso.parsers import interface

from plaso_netsupport.parsers import ini_reader


def GetFileTimes(file_entry):
    """Retrieves the modification and creation time of a file entry.

    Args:
      file_entry (dfvfs.FileEntry): file entry, or None.

    Returns:
      tuple[dfdatetime.DateTimeValues, dfdatetime.DateTimeValues]:
          modification and creation time, each None if not available.
    """
    if not file_entry:
        return None, None
    return (
        getattr(file_entry, "modification_time", None),
        getattr(file_entry, "creation_time", None),
    )


class NetSupportINIFileParser(interface.FileObjectParser):
    """Parses a NetSupport INI-style file selected by its name."""

    # Subclasses bound what is read: MAXIMUM_READ_SIZE (bytes),
    # MAXIMUM_NUMBER_OF_SETTINGS and MAXIMUM_VALUE_LENGTH (characters).
    MAXIMUM_READ_SIZE = None
    MAXIMUM_NUMBER_OF_SETTINGS = None
    MAXIMUM_VALUE_LENGTH = None

    def _CheckFormat(self, ini_file):
        """Checks that the file is the format its name promises.

        Args:
          ini_file (ini_reader.INIFile): INI file.

        Raises:
          WrongParser: when it is not.
        """
        raise NotImplementedError

    def _ParseINIFile(self, parser_mediator, ini_file):
        """Extracts the event data of the file.

        Args:
          parser_mediator (ParserMediator): mediates interactions between parsers
              and other components, such as storage and dfVFS.
          ini_file (ini_reader.INIFile): INI file.

        Returns:
          EventData: event data, without the file name, path and times.
        """
        raise NotImplementedError

    def ParseFileObject(self, parser_mediator, file_object):
        """Parses the file; warns when its content is not what its name says.

        A file of the name that holds something else (binary data, another
        program's file) is worth an extraction warning: the examiner sees it
        instead of silence.

        Args:
          parser_mediator (ParserMediator): mediates interactions between parsers
              and other components, such as storage and dfVFS.
          file_object (dfvfs.FileIO): file-like object.
        """
        try:
            ini_file = ini_reader.ReadINIFile(
                file_object,
                self.MAXIMUM_READ_SIZE,
                maximum_number_of_settings=self.MAXIMUM_NUMBER_OF_SETTINGS,
                maximum_value_length=self.MAXIMUM_VALUE_LENGTH,
            )
            self._CheckFormat(ini_file)
        except errors.WrongParser as exception:
            parser_mediator.ProduceWarning(
                f"file named like a {self.DATA_FORMAT:s} but not one: {exception!s}"
            )
            return

        ini_reader.ProduceReadWarnings(
            parser_mediator, ini_file, self.MAXIMUM_READ_SIZE
        )
        event_data = self._ParseINIFile(parser_mediator, ini_file)

        file_entry = parser_mediator.GetFileEntry()
        if file_entry:
            event_data.file_name = file_entry.name
            event_data.path = getattr(file_entry.path_spec, "location", None)
        event_data.modification_time, event_data.creation_time = GetFileTimes(
            file_entry
        )
        parser_mediator.ProduceEventData(event_data)
