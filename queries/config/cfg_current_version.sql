-- cfg_current_version: the version number of the configuration in force (NULL if none). No parameters.
SELECT max(version) FROM cfg_documents;
