import { Settings } from 'luxon';

// An invalid DateTime is a bug: make it throw in tests rather than print "Invalid DateTime".
Settings.throwOnInvalid = true;
