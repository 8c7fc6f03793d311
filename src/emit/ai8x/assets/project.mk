# Local build settings for the ##PROJECT## project, read by the Makefile before the MSDK.
# Examples:
#   MAXIM_PATH := /path/to/MaximSDK
#   BOARD := FTHR_RevA
#   PROJ_CFLAGS += -DSOME_OPTION
