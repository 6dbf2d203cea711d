//! Pure PhòngHọp domain: the types every other crate speaks, the validation rules of
//! client ops, vote counting, and the messages of the sync protocol. No I/O and no async runtime here.

pub mod annotation;
pub mod attendance;
pub mod counting;
pub mod document;
pub mod error;
pub mod meeting;
pub mod note;
pub mod opinion;
pub mod ops;
pub mod poll;
pub mod speaker;
pub mod sync;
pub mod user;

pub use annotation::{Annotation, AnnotationBody, InkPoint, InkStroke, QuadPoints};
pub use document::{
    Classification, Document, DocumentKind, DocumentVersion, Sha256, SignatureSummary,
};
pub use error::{ErrorBody, ErrorCode};
pub use meeting::{
    AgendaItem, Attendance, Meeting, MeetingKind, MeetingRole, MeetingStatus, Membership,
};
pub use note::Note;
pub use ops::{Op, OpEnvelope, OpOutcome, OpResult, OpsRequest, OpsResponse};
pub use sync::{Change, ChangesPage, LIVE_READ_BUFFER, LiveMessage, LoginRequest, LoginResponse};
pub use user::{OrgUnit, Role, User};

pub use attendance::{AttendanceState, AttendanceSummary, Presence};
pub use counting::{Base, CountingRule, PollMode, PollResult, Threshold};
pub use opinion::{OpinionAnswer, OpinionBallot, OpinionChoice, OpinionStats};
pub use poll::{Ballot, Poll, PollKind, PollSpec, PollStatus, Tally};
pub use speaker::{MeetingProgress, Presentation, SpeakKind, SpeakRequest, SpeakStatus};

/// Timestamps cross every boundary as RFC 3339 strings.
pub type Timestamp = time::OffsetDateTime;

/// Identifiers are UUIDs made by whoever creates the entity (often a client, offline),
/// so that an op creating an entity can be replayed without creating it twice.
pub type Id = uuid::Uuid;
